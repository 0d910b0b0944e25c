package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/onboarding"
	"archipel/rights"
)

// ExportPage is the readable copy of everything held about a request.
type ExportPage struct {
	Export   *rights.Export
	Answers  []AnswerSection
	Timeline []ExportEventLine
	JSONURL  string
	Back     string // the page the reader came from
	ForStaff bool
}

// ExportEventLine is a timeline entry with the message ID of its label,
// empty when there is none (the kind is shown).
type ExportEventLine struct {
	rights.ExportEvent
	Key string
}

// AnswerSection is one step of the form with its answers, in form order.
type AnswerSection struct {
	Title  string // message ID
	Fields []AnswerField
}

// AnswerField is one answer: the message ID of its label and its value.
type AnswerField struct {
	Label string
	Value string
}

// AnswerSectionsOf lays the stored answers out as the form asked them: one
// section per step, fields in the steps' order.
func AnswerSectionsOf(raw json.RawMessage) []AnswerSection {
	var a onboarding.Answers
	_ = json.Unmarshal(raw, &a) // an unreadable copy shows empty sections; the JSON keeps it as stored
	v := reflect.ValueOf(a)
	var out []AnswerSection
	for i := 0; i < v.NumField(); i++ {
		step := onboarding.Step(i + 1)
		sec := AnswerSection{Title: "step." + step.Slug() + ".title"}
		sv, st := v.Field(i), v.Field(i).Type()
		for j := 0; j < sv.NumField(); j++ {
			name := st.Field(j).Tag.Get("form")
			if name == "" || name == "-" {
				continue
			}
			var val string
			switch f := sv.Field(j); f.Kind() {
			case reflect.String:
				val = f.String()
			case reflect.Slice:
				val = strings.Join(f.Interface().([]string), ", ")
			}
			sec.Fields = append(sec.Fields, AnswerField{Label: "label." + name, Value: val})
		}
		out = append(out, sec)
	}
	return out
}

// exportAssociation shows the association everything held about its
// request, from its private link.
func (h *Handler) exportAssociation(c *gin.Context) {
	app, err := h.currentApp(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.export(c, rights.Requester{}, app.ID, "/suivi", "/suivi/donnees.json", c.Request.URL.Path == "/suivi/donnees.json")
}

// exportStaff is the same export for staff of the request's host, who
// answer an access request received another way.
func (h *Handler) exportStaff(c *gin.Context) {
	id := c.Param("id")
	asJSON := strings.HasSuffix(c.Request.URL.Path, ".json")
	h.export(c, rights.Requester{Staff: userOf(c)}, id, "/staff/requests/"+id, "/staff/requests/"+id+"/donnees.json", asJSON)
}

func (h *Handler) export(c *gin.Context, who rights.Requester, id, back, jsonURL string, asJSON bool) {
	e, err := h.Rights.ExportFor(c.Request.Context(), who, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if asJSON {
		h.downloadJSON(c, e, "archipel-"+e.Request.ID+".json")
		return
	}
	p := &ExportPage{Export: e, Answers: AnswerSectionsOf(e.Request.Answers), JSONURL: jsonURL, Back: back, ForStaff: who.Staff != nil}
	lang := langOf(c)
	for _, ev := range e.Timeline {
		line := ExportEventLine{ExportEvent: ev}
		if key := "event." + ev.Kind; h.hasMessage(lang, key) {
			line.Key = key
		}
		p.Timeline = append(p.Timeline, line)
	}
	h.render(c, http.StatusOK, "export", h.page(c, "rights.export.title", p))
}

// exportSchema serves the JSON Schema that every export follows.
func (h *Handler) exportSchema(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "application/schema+json", rights.ExportSchema)
}

// downloadJSON answers v as an indented JSON file to keep, never stored by
// a cache: the exports of personal data.
func (h *Handler) downloadJSON(c *gin.Context, v any, filename string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf.Bytes())
}
