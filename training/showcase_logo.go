package training

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	"archipel/apperr"
)

// Limits of an uploaded logo. The upload route's request limit is this
// size plus room for the form, so that a refused logo comes back as a
// message on the page rather than as a bare "too large" answer; the sides
// bound the memory a decoded image takes (a few kilobytes of PNG can claim
// gigapixels).
const (
	MaxLogoBytes = 200 << 10
	MaxLogoSide  = 2048
	// LogoBox is the box a stored logo fits in; larger ones are scaled down.
	LogoBox = 400
)

// logoImage is a logo as stored: re-encoded PNG, whatever was uploaded.
type logoImage struct {
	PNG           []byte
	Width, Height int
}

// Digest identifies the logo in the text's digest.
func (l *logoImage) Digest() string {
	sum := sha256.Sum256(l.PNG)
	return hex.EncodeToString(sum[:])
}

// DecodeLogo checks an uploaded logo and re-encodes it as PNG, which drops
// whatever the file carried besides pixels (metadata, trailing data, a
// script pretending to be an image). Only PNG and JPEG are accepted; the
// dimensions are read from the header before anything is decoded.
func DecodeLogo(raw []byte) (*logoImage, error) {
	const op = "training: decode logo"
	switch {
	case len(raw) == 0:
		return nil, apperr.New(apperr.Invalid, "err.showcase.logo_missing", op)
	case len(raw) > MaxLogoBytes:
		return nil, apperr.New(apperr.Invalid, "err.showcase.logo_too_large", op)
	}
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch {
	case bytes.HasPrefix(raw, []byte("\x89PNG\r\n\x1a\n")):
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(raw, []byte("\xff\xd8")):
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	default:
		return nil, apperr.New(apperr.Invalid, "err.showcase.logo_not_image", op)
	}
	cfg, err := decodeConfig(raw)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "err.showcase.logo_invalid", op, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, apperr.New(apperr.Invalid, "err.showcase.logo_dimensions", op)
	}
	img, err := decode(raw)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "err.showcase.logo_invalid", op, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, apperr.New(apperr.Invalid, "err.showcase.logo_invalid", op)
	}
	out := fit(img, LogoBox)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "err.showcase.logo_invalid", op, err)
	}
	return &logoImage{PNG: buf.Bytes(), Width: out.Bounds().Dx(), Height: out.Bounds().Dy()}, nil
}

// fit returns img as RGBA, scaled down (averaging the pixels each new pixel
// covers) to fit a box×box square when it is larger.
func fit(img image.Image, box int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= box && h <= box {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	nw, nh := box, h*box/w
	if h > w {
		nw, nh = w*box/h, box
	}
	nw, nh = max(nw, 1), max(nh, 1)
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		y0, y1 := b.Min.Y+y*h/nh, b.Min.Y+(y+1)*h/nh
		for x := 0; x < nw; x++ {
			x0, x1 := b.Min.X+x*w/nw, b.Min.X+(x+1)*w/nw
			var r, g, bl, a, n uint64
			for sy := y0; sy < max(y1, y0+1); sy++ {
				for sx := x0; sx < max(x1, x0+1); sx++ {
					cr, cg, cb, ca := img.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			dst.SetRGBA(x, y, color.RGBA{R: uint8(r / n >> 8), G: uint8(g / n >> 8), B: uint8(bl / n >> 8), A: uint8(a / n >> 8)})
		}
	}
	return dst
}
