package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/training"
)

// CaseBoardPage is the data of a host's board: one column per stage.
type CaseBoardPage struct {
	Hosts   []training.Host // the hosts an administrator may pick from
	HostID  string          // the host shown; empty for every host
	Columns []training.Column
	// Moves are the stages a case may be moved to from the board (closing
	// has its own form).
	Moves []training.Stage
}

// caseMoves are the stages a move form offers.
var caseMoves = []training.Stage{training.StageWelcome, training.StageGettingStarted, training.StageTraining, training.StageAutonomous}

func (h *Handler) caseBoard(c *gin.Context) {
	u := userOf(c)
	ctx := c.Request.Context()
	hostID := training.HostScope(u, c.Query("host"))
	bp := &CaseBoardPage{HostID: hostID, Moves: caseMoves}
	if u.Admin() {
		hosts, err := h.Training.Hosts(ctx)
		if err != nil {
			h.fail(c, err)
			return
		}
		bp.Hosts = hosts
		if hostID != "" && !hasHost(hosts, hostID) {
			h.notFound(c)
			return
		}
	}
	cols, err := h.Training.Board(ctx, u, hostID)
	if err != nil {
		h.fail(c, err)
		return
	}
	bp.Columns = cols
	h.render(c, http.StatusOK, "cases_board", h.casePage(c, "cases.board.title", bp))
}

func hasHost(hosts []training.Host, id string) bool {
	for _, h := range hosts {
		if h.ID == id {
			return true
		}
	}
	return false
}
