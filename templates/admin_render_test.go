package templates_test

// adminRenderCases are the administrator's pages (hosts, accounts, shared
// queue, audit log), each in the states it shows.
func adminRenderCases() []renderCase { return nil }
