package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"archipel/onboarding"
)

// charterParts are the message IDs of the archipelago's common charter, in
// order: the text an association accepts when it lets the archipelago
// choose its host (onboarding.CharterVersion is its version).
var charterParts = []string{"charter.p1", "charter.p2", "charter.p3", "charter.p4", "charter.p5"}

// CharterPage is the data of the charter's page.
type CharterPage struct {
	Parts   []string
	Version string
}

// charterText is the charter as shown in a language, the text whose digest
// is recorded when an association accepts it.
func (h *Handler) charterText(lang string) string {
	parts := make([]string, len(charterParts))
	for i, id := range charterParts {
		parts[i] = h.Templates.MustT(lang, id)
	}
	return strings.Join(parts, "\n\n")
}

func (h *Handler) charter(c *gin.Context) {
	h.render(c, http.StatusOK, "charter", h.page(c, "charter.title", &CharterPage{Parts: charterParts, Version: onboarding.CharterVersion}))
}
