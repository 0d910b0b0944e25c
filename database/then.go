package database

import "database/sql"

// Then is work a workflow does inside its own transaction, after its
// change and before committing, such as queueing the e-mails and
// notifications the change causes: they commit with it or not at all.
type Then func(tx *sql.Tx) error

// RunThen runs each fn in tx, stopping at the first error.
func RunThen(tx *sql.Tx, fns []Then) error {
	for _, fn := range fns {
		if fn == nil {
			continue
		}
		if err := fn(tx); err != nil {
			return err
		}
	}
	return nil
}
