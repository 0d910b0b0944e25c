package nextcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Board is a Deck board.
type Board struct {
	ID        int
	Title     string
	Owner     string
	Deleted   bool // soft-deleted (still listed, 403 when read)
	ACL       []BoardACL
	ETagValue string
}

// BoardACL is one participant of a board.
type BoardACL struct {
	ID          int
	Type        ACLType
	Participant string // account id, group id or team id
	Edit        bool
	Share       bool
	Manage      bool
	// Dangling marks the entry Deck 1.18 stores for a participant it
	// could not find (its participant is then a bare string).
	Dangling bool
}

// ACLType is who a board's ACL entry is for.
type ACLType int

// ACL participant types.
const (
	ACLUser  ACLType = 0
	ACLGroup ACLType = 1
	ACLTeam  ACLType = 7
)

// ACLFor returns the entry of a participant of a type, if any.
func (b Board) ACLFor(t ACLType, participant string) (BoardACL, bool) {
	for _, a := range b.ACL {
		if a.Type == t && a.Participant == participant {
			return a, true
		}
	}
	return BoardACL{}, false
}

type boardJSON struct {
	ID    flexNum `json:"id"`
	Title string  `json:"title"`
	Owner struct {
		UID string `json:"uid"`
	} `json:"owner"`
	DeletedAt flexNum   `json:"deletedAt"`
	ACL       []aclJSON `json:"acl"`
	ETag      string    `json:"ETag"`
}

type aclJSON struct {
	ID          flexNum         `json:"id"`
	Type        flexNum         `json:"type"`
	Participant json.RawMessage `json:"participant"`
	Edit        flexBool        `json:"permissionEdit"`
	Share       flexBool        `json:"permissionShare"`
	Manage      flexBool        `json:"permissionManage"`
}

func (a aclJSON) acl() BoardACL {
	out := BoardACL{ID: int(a.ID.int64()), Type: ACLType(a.Type.int64()), Edit: bool(a.Edit), Share: bool(a.Share), Manage: bool(a.Manage)}
	// A participant is an object, except for the dangling entry Deck 1.18
	// stores after refusing a missing group: then a plain string.
	var p struct {
		UID string `json:"uid"`
	}
	if json.Unmarshal(a.Participant, &p) == nil && p.UID != "" {
		out.Participant = p.UID
	} else {
		var s string
		_ = json.Unmarshal(a.Participant, &s)
		out.Participant, out.Dangling = s, true
	}
	return out
}

func (b boardJSON) board() Board {
	out := Board{ID: int(b.ID.int64()), Title: b.Title, Owner: b.Owner.UID, Deleted: b.DeletedAt.int64() > 0, ETagValue: b.ETag}
	for _, a := range b.ACL {
		out.ACL = append(out.ACL, a.acl())
	}
	return out
}

const deckBase = "/index.php/apps/deck/api/v1.0/boards"

// deck makes one call to Deck's REST API (JSON both ways). Deck answers a
// missing, deleted or unshared board with 403, never 404: the caller
// decides what a 403 means.
func (c *Client) deck(ctx context.Context, op, method, path string, in, out any) error {
	var body []byte
	// Deck's REST routes do not need OCS-APIRequest (80-…-no-ocs-header);
	// it is sent all the same, as on every other call, so that a session
	// cookie never makes a request look like a browser's.
	h := map[string]string{"Accept": "application/json", "OCS-APIRequest": "true"}
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return invalid(op, "encode: %v", err)
		}
		h["Content-Type"] = "application/json"
	}
	_, raw, err := c.raw(ctx, rawCall{op: op, method: method, path: deckBase + path, header: h, body: body})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), out); err != nil {
		return &Error{Op: op, Kind: ErrInvalid, HTTPStatus: http.StatusOK, Message: "unexpected Deck answer", Err: err}
	}
	return nil
}

// Boards lists the boards the client's account sees, soft-deleted ones and
// Deck's automatic welcome board included.
func (c *Client) Boards(ctx context.Context) ([]Board, error) {
	var out []boardJSON
	if err := c.deck(ctx, "list boards", http.MethodGet, "", nil, &out); err != nil {
		return nil, err
	}
	boards := make([]Board, 0, len(out))
	for _, b := range out {
		boards = append(boards, b.board())
	}
	return boards, nil
}

// Board reads a board with its ACL. Deck answers 403 for a board that is
// missing, deleted or not shared with the client: ErrForbidden.
func (c *Client) Board(ctx context.Context, id int) (Board, error) {
	var out boardJSON
	if err := c.deck(ctx, fmt.Sprintf("read board %d", id), http.MethodGet, "/"+strconv.Itoa(id), nil, &out); err != nil {
		return Board{}, err
	}
	return out.board(), nil
}

// CreateBoard makes a board owned by the client's account. Titles are not
// unique: a second call makes a second board, so look before.
func (c *Client) CreateBoard(ctx context.Context, title, color string) (Board, error) {
	op := fmt.Sprintf("create board %q", title)
	if title == "" || color == "" {
		return Board{}, invalid(op, "a board needs a title and a colour")
	}
	var out boardJSON
	if err := c.deck(ctx, op, http.MethodPost, "", map[string]string{"title": title, "color": color}, &out); err != nil {
		return Board{}, err
	}
	return out.board(), nil
}

// AddBoardACL shares a board. Deck 1.18 answers 500 to an entry that exists
// already, and 500 to a missing group while storing the entry anyway: read
// the board's ACL first, and check the group exists.
func (c *Client) AddBoardACL(ctx context.Context, boardID int, a BoardACL) (BoardACL, error) {
	op := fmt.Sprintf("share board %d with %q", boardID, a.Participant)
	var out aclJSON
	err := c.deck(ctx, op, http.MethodPost, "/"+strconv.Itoa(boardID)+"/acl", map[string]any{
		"type": int(a.Type), "participant": a.Participant,
		"permissionEdit": a.Edit, "permissionShare": a.Share, "permissionManage": a.Manage,
	}, &out)
	if err != nil {
		return BoardACL{}, err
	}
	return out.acl(), nil
}

// UpdateBoardACL changes the permissions of an ACL entry.
func (c *Client) UpdateBoardACL(ctx context.Context, boardID int, a BoardACL) error {
	op := fmt.Sprintf("update share %d of board %d", a.ID, boardID)
	return c.deck(ctx, op, http.MethodPut, "/"+strconv.Itoa(boardID)+"/acl/"+strconv.Itoa(a.ID), map[string]any{
		"permissionEdit": a.Edit, "permissionShare": a.Share, "permissionManage": a.Manage,
	}, nil)
}

// DeleteBoardACL removes an ACL entry.
func (c *Client) DeleteBoardACL(ctx context.Context, boardID, aclID int) error {
	return c.deck(ctx, fmt.Sprintf("remove share %d of board %d", aclID, boardID), http.MethodDelete,
		"/"+strconv.Itoa(boardID)+"/acl/"+strconv.Itoa(aclID), nil, nil)
}

// DeleteBoard soft-deletes a board (Deck keeps it, restorable); a board
// deleted already answers 403: ErrForbidden.
func (c *Client) DeleteBoard(ctx context.Context, id int) error {
	return c.deck(ctx, fmt.Sprintf("delete board %d", id), http.MethodDelete, "/"+strconv.Itoa(id), nil, nil)
}
