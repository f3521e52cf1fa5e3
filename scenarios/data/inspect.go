package data

import (
	"fmt"
	"strconv"
	"strings"
)

// Inspect methods of the clients, for the TUI's cards. (The servers'
// are next to their types.)

func (c *orderClient) Inspect() map[string]string {
	waiting := 0
	for _, p := range c.pending {
		waiting += len(p)
	}
	return map[string]string{"placed": fmt.Sprintf("%d/%d", c.next, len(c.orders)), "unanswered": strconv.Itoa(waiting), "placed again": strconv.Itoa(c.retries)}
}

func (c *commandClient) Inspect() map[string]string {
	cur := ""
	if c.next < len(c.cmds) {
		cmd := c.cmds[c.next]
		cur = fmt.Sprintf("%s %s %d", cmd.ID, cmd.Type, cmd.Amount)
	}
	return map[string]string{"sending": cur, "answered": strconv.Itoa(len(c.results)), "sent again": strconv.Itoa(c.retries)}
}

func (c *cqrsClient) Inspect() map[string]string {
	return map[string]string{"reads": c.strategy.String(), "orders": strconv.Itoa(c.seq), "own write missing": fmt.Sprintf("%d of %d reads", c.stale, c.reads)}
}

func (c *rywClient) Inspect() map[string]string {
	return map[string]string{"reads": c.strategy.String(), "session token (LSN)": strconv.FormatInt(c.lastLSN, 10),
		"own write missing": fmt.Sprintf("%d of %d reads", c.missing, c.reads), "reads sent to the leader": strconv.Itoa(c.toLeader)}
}

func (c *isoClient) Inspect() map[string]string {
	out := map[string]string{}
	if c.c < len(isolationCases) {
		steps := c.steps(c.c)
		s := steps[c.i]
		out["schedule"] = isolationCases[c.c].name
		out["step"] = strings.TrimSpace(fmt.Sprintf("%s %s %s", s.kind, s.key, s.value))
		out["txn"] = c.runs[c.c].txn
		out["waiting for the store"] = strconv.FormatBool(c.wait)
	}
	return out
}
