package templates

import (
	"regexp"
	"strings"
)

// frenchArticle finds "de" or "à" before a name that starts with the
// article "Le" or "Les", such as "de Les Jardins partagés".
var frenchArticle = regexp.MustCompile(`(^|[\s\x{a0}(])(de|De|à|À) (Les|Le)([\s\x{a0}])`)

// contractions are what French writes instead: "des Jardins partagés",
// "du Cercle", "aux Amis", "au Mans".
var contractions = map[string]string{
	"de Les": "des", "de Le": "du", "à Les": "aux", "à Le": "au",
	"De Les": "Des", "De Le": "Du", "À Les": "Aux", "À Le": "Au",
}

// ContractFrench applies French's contracted articles where a name was put
// after "de" or "à": messages say "l'espace de {{.Name}}", and an
// association called "Les Jardins" makes that "l'espace des Jardins".
func ContractFrench(s string) string {
	if !strings.Contains(s, " Le") {
		return s
	}
	return frenchArticle.ReplaceAllStringFunc(s, func(m string) string {
		sub := frenchArticle.FindStringSubmatch(m)
		return sub[1] + contractions[sub[2]+" "+sub[3]] + sub[4]
	})
}
