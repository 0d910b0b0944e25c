package templates

import "testing"

func TestContractFrench(t *testing.T) {
	tests := []struct{ in, want string }{
		{"L'espace de Les Jardins partagés est prêt", "L'espace des Jardins partagés est prêt"},
		{"Retour à Le Cercle", "Retour au Cercle"},
		{"Une réunion à Le Mans", "Une réunion au Mans"},
		{"Écrivez à Les Amis du Vélo", "Écrivez aux Amis du Vélo"},
		{"La demande de Le Cercle des amis", "La demande du Cercle des amis"},
		{"De Les Amis", "Des Amis"},
		{"La demande de L'Île numérique", "La demande de L'Île numérique"},
		{"La demande de « Les Amis »", "La demande de « Les Amis »"},
		{"de Lesbos à Lens", "de Lesbos à Lens"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ContractFrench(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
