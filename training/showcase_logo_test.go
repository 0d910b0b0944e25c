package training_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"archipel/apperr"
	"archipel/training"
)

func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	return img
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withExif inserts an APP1 (Exif) segment, where cameras put GPS positions,
// right after a JPEG's start marker.
func withExif(jpg []byte, payload string) []byte {
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2+6))
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// withDimensions rewrites a PNG's header to claim other dimensions, with a
// correct checksum: the file is tiny, the image it claims is not.
func withDimensions(p []byte, w, h uint32) []byte {
	out := append([]byte{}, p...)
	ihdr := out[8+4 : 8+4+4+13] // type and data of the first chunk
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	binary.BigEndian.PutUint32(out[8+4+4+13:], crc32.ChecksumIEEE(ihdr))
	return out
}

func TestDecodeLogo(t *testing.T) {
	small := pngOf(t, 40, 20)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, testImage(64, 64), nil); err != nil {
		t.Fatal(err)
	}
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, testImage(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		raw        []byte
		key        string // refusal, "" when accepted
		w, h       int
		mustNotSee string
	}{
		{"a small PNG is kept as it is drawn", small, "", 40, 20, ""},
		{"a JPEG becomes a PNG without its Exif data", withExif(jpg.Bytes(), "GPS 45.76N 4.83E"), "", 64, 64, "GPS 45.76N"},
		{"a large image is scaled down to fit the box", pngOf(t, 1000, 500), "", 400, 200, ""},
		{"a tall image is scaled down too", pngOf(t, 300, 900), "", 133, 400, ""},
		{"data hidden after the image is dropped", append(append([]byte{}, small...), "<script>alert(1)</script>"...), "", 40, 20, "<script>"},
		{"nothing is not a logo", nil, "err.showcase.logo_missing", 0, 0, ""},
		{"a text file is not an image", []byte("<svg onload=alert(1)>"), "err.showcase.logo_not_image", 0, 0, ""},
		{"a GIF is refused", gifBuf.Bytes(), "err.showcase.logo_not_image", 0, 0, ""},
		{"a script behind a PNG signature is refused", []byte("\x89PNG\r\n\x1a\n<script>alert(1)</script>"), "err.showcase.logo_invalid", 0, 0, ""},
		{"a truncated PNG is refused", small[:len(small)/2], "err.showcase.logo_invalid", 0, 0, ""},
		{"a decompression bomb is refused before decoding", withDimensions(small, 100000, 100000), "err.showcase.logo_dimensions", 0, 0, ""},
		{"an image wider than the limit is refused", withDimensions(small, training.MaxLogoSide+1, 10), "err.showcase.logo_dimensions", 0, 0, ""},
		{"a file over the size limit is refused", append(append([]byte{}, small...), make([]byte, training.MaxLogoBytes)...), "err.showcase.logo_too_large", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logo, err := training.DecodeLogo(tt.raw)
			if tt.key != "" {
				if apperr.CodeOf(err) != apperr.Invalid || apperr.KeyOf(err) != tt.key {
					t.Fatalf("DecodeLogo = %v, want %s", err, tt.key)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if logo.Width != tt.w || logo.Height != tt.h {
				t.Errorf("%dx%d, want %dx%d", logo.Width, logo.Height, tt.w, tt.h)
			}
			img, err := png.Decode(bytes.NewReader(logo.PNG))
			if err != nil || img.Bounds().Dx() != tt.w || img.Bounds().Dy() != tt.h {
				t.Fatalf("stored logo is not a %dx%d PNG: %v", tt.w, tt.h, err)
			}
			if tt.mustNotSee != "" && bytes.Contains(logo.PNG, []byte(tt.mustNotSee)) {
				t.Errorf("the stored logo still holds %q", tt.mustNotSee)
			}
			if len(logo.Digest()) != 64 {
				t.Errorf("digest %q", logo.Digest())
			}
		})
	}
}

func TestLogoChangesNeedConsent(t *testing.T) {
	f := newShowcaseFixture(t)
	c := f.closedCase("h-ile", "Les Amis du Vélo", "69", training.OutcomeSuccess)
	e, token := f.publish(c, validText("Les Amis du Vélo", "69"))
	e, _ = f.sc.ForCase(f.ctx, c.ID)
	res, err := f.sc.SetLogo(f.ctx, showcaseAdmin, e, e.Version, pngOf(t, 40, 20))
	if err != nil || !res.Reconsent || f.public(t, e.ID) {
		t.Fatalf("SetLogo = %+v, %v", res, err)
	}
	if _, _, err := f.sc.PublishedLogo(f.ctx, e.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("the new logo is public before consent: %v", err)
	}
	e, err = f.sc.Consent(f.ctx, token, e.Version, e.Text.Quote)
	if err != nil {
		t.Fatal(err)
	}
	logo, digest, err := f.sc.PublishedLogo(f.ctx, e.ID)
	if err != nil || !bytes.HasPrefix(logo, []byte("\x89PNG")) || digest != e.LogoDigest {
		t.Fatalf("PublishedLogo = %d bytes, %q, %v", len(logo), digest, err)
	}
	t.Run("a refused logo changes nothing", func(t *testing.T) {
		_, err := f.sc.SetLogo(f.ctx, showcaseAdmin, e, e.Version, []byte("GIF89a"))
		if apperr.KeyOf(err) != "err.showcase.logo_not_image" || !f.public(t, e.ID) {
			t.Errorf("SetLogo = %v", err)
		}
	})
	t.Run("removing the logo needs consent again", func(t *testing.T) {
		res, err := f.sc.RemoveLogo(f.ctx, showcaseAdmin, e, e.Version)
		if err != nil || !res.Reconsent || e.HasLogo() || f.public(t, e.ID) {
			t.Errorf("RemoveLogo = %+v, %v", res, err)
		}
	})
}
