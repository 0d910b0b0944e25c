package nextcloud

// Talk (the spreed app) was not recorded: the 34.0.1 server had no Talk (see
// nc34-services/README.md §6). These calls follow Talk's own documentation
// (docs/conversation.md) and read its answers defensively: every field is
// optional, ids may come as numbers or strings, and any answer that does not
// parse is an ErrInvalid rather than a guess. Record them on a host with Talk
// before relying on more than this.

import (
	"context"
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

// Conversations lists the client's account's conversations.
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out []conversationJSON
	err := c.do(ctx, request{op: "list conversations", method: http.MethodGet, path: ocsPath("apps", "spreed", "api", "v4", "room")}, &out)
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
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("apps", "spreed", "api", "v4", "room"),
		form: url.Values{"roomType": {"2"}, "roomName": {name}, "source": {"groups"}, "invite": {group}}}, &out)
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
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: ocsPath("apps", "spreed", "api", "v4", "room", token)}, nil)
}
