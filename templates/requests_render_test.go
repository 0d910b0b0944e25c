package templates_test

// requestRenderCases are the staff's request pages (queue, request,
// interview, decision, provisioning), each in the states it shows.
func requestRenderCases() []renderCase { return nil }
