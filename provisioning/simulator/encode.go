package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Nextcloud builds its responses from PHP arrays and serialises them with
// json_encode and XMLWriter. Go maps lose key order and encoding/json escapes
// differently, so responses are built from the small value model below and
// written by encoders that follow PHP's rules: "/" escaped as "\/", non-ASCII
// as \uXXXX, empty arrays as [] (never {}), list items as <element> in XML,
// booleans as 1/empty in XML.

// kv is one key of an ordered PHP array.
type kv struct {
	k string
	v any
}

// obj is an ordered PHP associative array. Values are obj, []any, []string,
// string, bool, nil, int, int64, float64 or json.Number.
type obj []kv

// get returns the value stored under k.
func (o obj) get(k string) (any, bool) {
	for _, e := range o {
		if e.k == k {
			return e.v, true
		}
	}
	return nil, false
}

// set replaces the value under k, or appends it.
func (o obj) set(k string, v any) obj {
	for i, e := range o {
		if e.k == k {
			o[i].v = v
			return o
		}
	}
	return append(o, kv{k, v})
}

// strList converts a string slice to the list form the encoders take.
func strList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// writePHPJSON writes v the way PHP's json_encode does by default.
func writePHPJSON(w *bytes.Buffer, v any) {
	switch t := v.(type) {
	case nil:
		w.WriteString("null")
	case bool:
		if t {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case string:
		writePHPString(w, t)
	case int:
		w.WriteString(strconv.Itoa(t))
	case int64:
		w.WriteString(strconv.FormatInt(t, 10))
	case float64:
		w.WriteString(phpFloat(t))
	case json.Number:
		w.WriteString(t.String())
	case []string:
		writePHPJSON(w, strList(t))
	case []any:
		w.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				w.WriteByte(',')
			}
			writePHPJSON(w, e)
		}
		w.WriteByte(']')
	case obj:
		if len(t) == 0 {
			w.WriteString("[]")
			return
		}
		w.WriteByte('{')
		for i, e := range t {
			if i > 0 {
				w.WriteByte(',')
			}
			writePHPString(w, e.k)
			w.WriteByte(':')
			writePHPJSON(w, e.v)
		}
		w.WriteByte('}')
	default:
		panic(fmt.Sprintf("simulator: cannot encode %T", v))
	}
}

// writePHPString writes s as a JSON string escaped like json_encode.
func writePHPString(w *bytes.Buffer, s string) {
	w.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			w.WriteString(`\"`)
		case r == '\\':
			w.WriteString(`\\`)
		case r == '/':
			w.WriteString(`\/`)
		case r == '\b':
			w.WriteString(`\b`)
		case r == '\f':
			w.WriteString(`\f`)
		case r == '\n':
			w.WriteString(`\n`)
		case r == '\r':
			w.WriteString(`\r`)
		case r == '\t':
			w.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(w, `\u%04x`, r)
		case r < 0x80:
			w.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(w, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(w, `\u%04x`, r)
		}
	}
	w.WriteByte('"')
}

// phpFloat formats a float the way PHP prints it: no trailing ".0".
func phpFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writePHPXML writes v as the children of an XML element at the given depth,
// following the OCS XML writer (XMLWriter with a one-space indent).
func writePHPXML(w *bytes.Buffer, v any, depth int) {
	switch t := v.(type) {
	case []string:
		writePHPXML(w, strList(t), depth)
	case []any:
		for _, e := range t {
			writeXMLElement(w, "element", e, depth)
		}
	case obj:
		for _, e := range t {
			name := e.k
			if isNumericKey(name) {
				name = "element"
			}
			if !validXMLName(name) {
				// XMLWriter refuses invalid names (a user id with a space);
				// write the children in place rather than broken XML.
				writePHPXML(w, e.v, depth)
				continue
			}
			writeXMLElement(w, name, e.v, depth)
		}
	}
}

// writeXMLElement writes one element named name holding v.
func writeXMLElement(w *bytes.Buffer, name string, v any, depth int) {
	indent := strings.Repeat(" ", depth)
	switch t := v.(type) {
	case nil:
		fmt.Fprintf(w, "%s<%s/>\n", indent, name)
	case []string, []any, obj:
		if isEmptyArray(t) {
			fmt.Fprintf(w, "%s<%s/>\n", indent, name)
			return
		}
		fmt.Fprintf(w, "%s<%s>\n", indent, name)
		writePHPXML(w, t, depth+1)
		fmt.Fprintf(w, "%s</%s>\n", indent, name)
	default:
		fmt.Fprintf(w, "%s<%s>%s</%s>\n", indent, name, xmlText(scalarText(t)), name)
	}
}

// isEmptyArray reports whether v is an empty PHP array.
func isEmptyArray(v any) bool {
	switch t := v.(type) {
	case []string:
		return len(t) == 0
	case []any:
		return len(t) == 0
	case obj:
		return len(t) == 0
	}
	return false
}

// scalarText converts a scalar to the text PHP's string cast gives.
func scalarText(v any) string {
	switch t := v.(type) {
	case bool:
		if t {
			return "1"
		}
		return ""
	case string:
		return t
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return phpFloat(t)
	case json.Number:
		return t.String()
	}
	return fmt.Sprint(v)
}

// xmlText escapes text content like libxml's writer does.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isNumericKey reports whether PHP would store k as an integer key.
func isNumericKey(k string) bool {
	if k == "" {
		return false
	}
	s := strings.TrimPrefix(k, "-")
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validXMLName is a conservative check for an XML element name.
func validXMLName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		ok := r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80
		if i > 0 {
			ok = ok || r == '-' || r == '.' || r >= '0' && r <= '9'
		}
		if !ok {
			return false
		}
	}
	return true
}

// decodeOrdered parses JSON into the ordered value model, keeping key order.
func decodeOrdered(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return decodeValue(dec)
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := obj{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o = append(o, kv{k, v})
			}
			_, err := dec.Token()
			return o, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
		return nil, fmt.Errorf("simulator: unexpected delimiter %v", t)
	default:
		return t, nil
	}
}

// mapStrings applies f to every string in v, recursively.
func mapStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = mapStrings(e, f)
		}
		return out
	case obj:
		out := make(obj, len(t))
		for i, e := range t {
			out[i] = kv{e.k, mapStrings(e.v, f)}
		}
		return out
	}
	return v
}
