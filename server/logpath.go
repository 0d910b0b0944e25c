package server

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// loggedParams are the path parameters safe to write in logs: ids of rows
// that staff see anyway. Any other parameter (a private link's token, a
// calendar feed's file name) is replaced, so that a log line never holds a
// key to somebody's data.
var loggedParams = map[string]bool{"id": true, "sid": true, "tid": true, "step": true}

// loggedPath is the path of the request as logs may show it: the route with
// its safe parameters filled in, the others redacted.
func loggedPath(c *gin.Context) string {
	route := c.FullPath()
	if route == "" {
		return "(no route)"
	}
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		if len(seg) < 2 || (seg[0] != ':' && seg[0] != '*') {
			continue
		}
		if name := seg[1:]; loggedParams[name] {
			segs[i] = strings.TrimPrefix(c.Param(name), "/")
		} else {
			segs[i] = "[redacted]"
		}
	}
	return strings.Join(segs, "/")
}
