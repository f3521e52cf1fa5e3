package i18n

import "golang.org/x/text/feature/plural"

// English messages whose words depend on a count. Japanese and Chinese do
// not inflect, so their translations are plain messages.
func init() {
	addPlural(English, "your schedule added %d fault events: the story above is what they made happen;", 1,
		plural.One, "your schedule added 1 fault event: the story above is what it made happen;",
		plural.Other, "your schedule added %d fault events: the story above is what they made happen;")
	addPlural(English, "your schedule added %d faults (the first: %s %s): the story above is what they made happen;", 1,
		plural.One, "your schedule added 1 fault (%[2]s %[3]s): the story above is what it made happen;",
		plural.Other, "your schedule added %d faults (the first: %[2]s %[3]s): the story above is what they made happen;")
	addPlural(English, "... and %d more (the trace has them all)", 1,
		plural.One, "... and 1 more (the trace has it)",
		plural.Other, "... and %d more (the trace has them all)")
}
