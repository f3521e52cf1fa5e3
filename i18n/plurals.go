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
	addPlural(English, "%d schedule events after the run's end (%s) were not played; --for makes the run longer", 1,
		plural.One, "1 schedule event after the run's end (%[2]s) was not played; --for makes the run longer",
		plural.Other, "%d schedule events after the run's end (%[2]s) were not played; --for makes the run longer")
	addPlural(English, "saved %d faults; replay them with %s", 1,
		plural.One, "saved 1 fault; replay it with %[2]s",
		plural.Other, "saved %d faults; replay them with %[2]s")
	addPlural(English, "at %s %s (%d faults by key; w saves them)", 3,
		plural.One, "at %[1]s %[2]s (1 fault by key; w saves them)",
		plural.Other, "at %[1]s %[2]s (%[3]d faults by key; w saves them)")
	addPlural(English, "... and %d more (the trace has them all)", 1,
		plural.One, "... and 1 more (the trace has it)",
		plural.Other, "... and %d more (the trace has them all)")
}
