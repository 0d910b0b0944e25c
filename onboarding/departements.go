package onboarding

import (
	"slices"
	"strings"
)

// Departement is a French département with the region it belongs to.
type Departement struct {
	// Code is INSEE's code: two digits, 2A or 2B in Corsica, three digits overseas.
	Code string
	// Name is the official name, with its accents ("Ardèche").
	Name string
	// Region is the name of the region, as Regions lists it.
	Region string
}

// Region names as INSEE's Code officiel géographique spells them.
const (
	regionARA = "Auvergne-Rhône-Alpes"
	regionBFC = "Bourgogne-Franche-Comté"
	regionBRE = "Bretagne"
	regionCVL = "Centre-Val de Loire"
	regionCOR = "Corse"
	regionGES = "Grand Est"
	regionHDF = "Hauts-de-France"
	regionIDF = "Île-de-France"
	regionNOR = "Normandie"
	regionNAQ = "Nouvelle-Aquitaine"
	regionOCC = "Occitanie"
	regionPDL = "Pays de la Loire"
	regionPAC = "Provence-Alpes-Côte d'Azur"
	regionGUA = "Guadeloupe"
	regionMTQ = "Martinique"
	regionGUF = "Guyane"
	regionLRE = "La Réunion"
	regionMAY = "Mayotte"
)

// departements lists the 101 départements in code order (01…19, 2A, 2B,
// 21…95, 971…976), which is not byte order: "21" sorts before "2A".
// Saint-Pierre-et-Miquelon (975) stopped being a département in 1985 and is
// not listed. The names follow INSEE's Code officiel géographique, where
// the Métropole de Lyon still belongs to 69 and the Collectivité européenne
// d'Alsace to 67 and 68.
var departements = []Departement{
	{"01", "Ain", regionARA},
	{"02", "Aisne", regionHDF},
	{"03", "Allier", regionARA},
	{"04", "Alpes-de-Haute-Provence", regionPAC},
	{"05", "Hautes-Alpes", regionPAC},
	{"06", "Alpes-Maritimes", regionPAC},
	{"07", "Ardèche", regionARA},
	{"08", "Ardennes", regionGES},
	{"09", "Ariège", regionOCC},
	{"10", "Aube", regionGES},
	{"11", "Aude", regionOCC},
	{"12", "Aveyron", regionOCC},
	{"13", "Bouches-du-Rhône", regionPAC},
	{"14", "Calvados", regionNOR},
	{"15", "Cantal", regionARA},
	{"16", "Charente", regionNAQ},
	{"17", "Charente-Maritime", regionNAQ},
	{"18", "Cher", regionCVL},
	{"19", "Corrèze", regionNAQ},
	{"2A", "Corse-du-Sud", regionCOR},
	{"2B", "Haute-Corse", regionCOR},
	{"21", "Côte-d'Or", regionBFC},
	{"22", "Côtes-d'Armor", regionBRE},
	{"23", "Creuse", regionNAQ},
	{"24", "Dordogne", regionNAQ},
	{"25", "Doubs", regionBFC},
	{"26", "Drôme", regionARA},
	{"27", "Eure", regionNOR},
	{"28", "Eure-et-Loir", regionCVL},
	{"29", "Finistère", regionBRE},
	{"30", "Gard", regionOCC},
	{"31", "Haute-Garonne", regionOCC},
	{"32", "Gers", regionOCC},
	{"33", "Gironde", regionNAQ},
	{"34", "Hérault", regionOCC},
	{"35", "Ille-et-Vilaine", regionBRE},
	{"36", "Indre", regionCVL},
	{"37", "Indre-et-Loire", regionCVL},
	{"38", "Isère", regionARA},
	{"39", "Jura", regionBFC},
	{"40", "Landes", regionNAQ},
	{"41", "Loir-et-Cher", regionCVL},
	{"42", "Loire", regionARA},
	{"43", "Haute-Loire", regionARA},
	{"44", "Loire-Atlantique", regionPDL},
	{"45", "Loiret", regionCVL},
	{"46", "Lot", regionOCC},
	{"47", "Lot-et-Garonne", regionNAQ},
	{"48", "Lozère", regionOCC},
	{"49", "Maine-et-Loire", regionPDL},
	{"50", "Manche", regionNOR},
	{"51", "Marne", regionGES},
	{"52", "Haute-Marne", regionGES},
	{"53", "Mayenne", regionPDL},
	{"54", "Meurthe-et-Moselle", regionGES},
	{"55", "Meuse", regionGES},
	{"56", "Morbihan", regionBRE},
	{"57", "Moselle", regionGES},
	{"58", "Nièvre", regionBFC},
	{"59", "Nord", regionHDF},
	{"60", "Oise", regionHDF},
	{"61", "Orne", regionNOR},
	{"62", "Pas-de-Calais", regionHDF},
	{"63", "Puy-de-Dôme", regionARA},
	{"64", "Pyrénées-Atlantiques", regionNAQ},
	{"65", "Hautes-Pyrénées", regionOCC},
	{"66", "Pyrénées-Orientales", regionOCC},
	{"67", "Bas-Rhin", regionGES},
	{"68", "Haut-Rhin", regionGES},
	{"69", "Rhône", regionARA},
	{"70", "Haute-Saône", regionBFC},
	{"71", "Saône-et-Loire", regionBFC},
	{"72", "Sarthe", regionPDL},
	{"73", "Savoie", regionARA},
	{"74", "Haute-Savoie", regionARA},
	{"75", "Paris", regionIDF},
	{"76", "Seine-Maritime", regionNOR},
	{"77", "Seine-et-Marne", regionIDF},
	{"78", "Yvelines", regionIDF},
	{"79", "Deux-Sèvres", regionNAQ},
	{"80", "Somme", regionHDF},
	{"81", "Tarn", regionOCC},
	{"82", "Tarn-et-Garonne", regionOCC},
	{"83", "Var", regionPAC},
	{"84", "Vaucluse", regionPAC},
	{"85", "Vendée", regionPDL},
	{"86", "Vienne", regionNAQ},
	{"87", "Haute-Vienne", regionNAQ},
	{"88", "Vosges", regionGES},
	{"89", "Yonne", regionBFC},
	{"90", "Territoire de Belfort", regionBFC},
	{"91", "Essonne", regionIDF},
	{"92", "Hauts-de-Seine", regionIDF},
	{"93", "Seine-Saint-Denis", regionIDF},
	{"94", "Val-de-Marne", regionIDF},
	{"95", "Val-d'Oise", regionIDF},
	{"971", "Guadeloupe", regionGUA},
	{"972", "Martinique", regionMTQ},
	{"973", "Guyane", regionGUF},
	{"974", "La Réunion", regionLRE},
	{"976", "Mayotte", regionMAY},
}

// regions lists the 18 regions in French alphabetical order, where
// "Île-de-France" sorts with the I's, not after every ASCII name.
var regions = []string{
	regionARA, regionBFC, regionBRE, regionCVL, regionCOR, regionGES,
	regionGUA, regionGUF, regionHDF, regionIDF, regionLRE, regionMTQ,
	regionMAY, regionNOR, regionNAQ, regionOCC, regionPDL, regionPAC,
}

// LookupDepartement returns the département with the given code ("01", "2A", "974"), ignoring case and surrounding spaces.
func LookupDepartement(code string) (Departement, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, d := range departements {
		if d.Code == code {
			return d, true
		}
	}
	return Departement{}, false
}

// Departements returns all départements sorted by code: 01…19, 2A, 2B, 21…95, 971…976.
func Departements() []Departement {
	return slices.Clone(departements)
}

// Regions returns the 18 French regions in alphabetical order.
func Regions() []string {
	return slices.Clone(regions)
}
