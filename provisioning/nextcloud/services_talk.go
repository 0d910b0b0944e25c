package nextcloud

// Talk (the spreed app) was not recorded: the 34.0.1 server had no Talk (see
// nc34-services/README.md §6). These calls follow Talk's own documentation
// (docs/conversation.md) and read its answers defensively: every field is
// optional, ids may come as numbers or strings, and any answer that does not
// parse is an ErrInvalid rather than a guess. Record them on a host with Talk
// before relying on more than this.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Conversation is a Talk conversation.
type Conversation struct {
	Token string
	Name  string
	Type  int // 2: group conversation
}

type conversationJSON struct {
	Token       flexString `json:"token"`
	Name        flexString `json:"name"`
	DisplayName flexString `json:"displayName"`
	Type        flexNum    `json:"type"`
}

func (c conversationJSON) conversation() Conversation {
	name := string(c.Name)
	if name == "" {
		name = string(c.DisplayName)
	}
	return Conversation{Token: string(c.Token), Name: name, Type: int(c.Type.int64())}
}

// talk makes one Talk call. Talk answers a creation with 201 and, per its
// documentation, the same code in the OCS meta, which the OCS helper would
// take for a failure: any 2xx with meta 100, 200 or 201 is a success here.
func (c *Client) talk(ctx context.Context, op, method string, path string, form url.Values, out any) error {
	h := map[string]string{"OCS-APIRequest": "true", "Accept": "application/json"}
	var body []byte
	if form != nil {
		body = []byte(form.Encode())
		h["Content-Type"] = "application/x-www-form-urlencoded"
	}
	status, raw, err := c.raw(ctx, rawCall{op: op, method: method, path: path + "?format=json", header: h, body: body})
	if err != nil {
		return err
	}
	meta, data, isOCS := parseEnvelope(raw)
	if !isOCS || (meta.StatusCode != 100 && meta.StatusCode != 200 && meta.StatusCode != 201) {
		return &Error{Op: op, Kind: ErrInvalid, HTTPStatus: status, OCSStatus: meta.StatusCode,
			Message: "unexpected Talk answer"}
	}
	if out == nil || len(data) == 0 || string(data) == "[]" {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Op: op, Kind: ErrInvalid, HTTPStatus: status, OCSStatus: meta.StatusCode, Message: "unexpected Talk answer", Err: err}
	}
	return nil
}

// Conversations lists the client's account's conversations.
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out []conversationJSON
	err := c.talk(ctx, "list conversations", http.MethodGet, ocsPath("apps", "spreed", "api", "v4", "room"), nil, &out)
	if err != nil {
		return nil, err
	}
	convs := make([]Conversation, 0, len(out))
	for _, cv := range out {
		if cv.Token == "" {
			continue // not a conversation we can use
		}
		convs = append(convs, cv.conversation())
	}
	return convs, nil
}

// CreateGroupConversation makes a group conversation (type 2) named name
// whose participants follow the group's membership; the client's account
// owns it. Not idempotent: list first.
func (c *Client) CreateGroupConversation(ctx context.Context, name, group string) (Conversation, error) {
	op := fmt.Sprintf("create conversation %q for group %q", name, group)
	if strings.TrimSpace(name) == "" || group == "" {
		return Conversation{}, invalid(op, "a conversation needs a name and a group")
	}
	var out conversationJSON
	err := c.talk(ctx, op, http.MethodPost, ocsPath("apps", "spreed", "api", "v4", "room"),
		url.Values{"roomType": {"2"}, "roomName": {name}, "source": {"groups"}, "invite": {group}}, &out)
	if err != nil {
		return Conversation{}, err
	}
	if out.Token == "" {
		return Conversation{}, &Error{Op: op, Kind: ErrInvalid, Message: "Talk answered without a conversation token"}
	}
	return out.conversation(), nil
}

// DeleteConversation deletes a conversation the client's account owns.
func (c *Client) DeleteConversation(ctx context.Context, token string) error {
	op := fmt.Sprintf("delete conversation %q", token)
	if err := validID(op, "conversation", token); err != nil {
		return err
	}
	return c.talk(ctx, op, http.MethodDelete, ocsPath("apps", "spreed", "api", "v4", "room", token), nil, nil)
}
