package onboarding

import "encoding/json"

// Message is a message ID of the fr/en message files with its arguments,
// for text the domain writes for people to read later (a match reason, an
// event detail): stored as StoredMessage, it is translated into each
// reader's language when shown, by the templates' msg function.
type Message struct {
	ID   string         `json:"id"`
	Args map[string]any `json:"args,omitempty"`
}

// StoredMessage encodes a message as the text to store:
// {"id":"…","args":{…}}. Arguments are strings, numbers, booleans, or
// Messages (or lists of them), translated too when shown.
func StoredMessage(id string, args map[string]any) string {
	b, err := json.Marshal(Message{ID: id, Args: args})
	if err != nil { // an argument JSON cannot hold: keep the message without them
		b, _ = json.Marshal(Message{ID: id})
	}
	return string(b)
}
