package results

import "fmt"

// Disqualified says why r cannot stand as a winner, a capacity limit or a
// transport's best figure ("" when it can): an error, an interruption,
// counts that do not reconcile, any loss, duplicate, reordering or
// unexpected message, a saturated load generator, or a publisher that
// could not keep up with its schedule through a target's API.
func (r Record) Disqualified() string {
	d := r.Delivery
	switch {
	case r.Error != "":
		return "error: " + r.Error
	case r.Interrupted:
		return "interrupted"
	case d.Mismatch != "":
		return "counts do not reconcile: " + d.Mismatch
	case d.FailedClients > 0:
		return fmt.Sprintf("%d clients were lost with their load-generator worker", d.FailedClients)
	case r.Loadgen.Saturated != "":
		return "load generator saturated (" + r.Loadgen.Saturated + "): this figure measures pushbench, not the transport"
	case r.Publisher != nil && r.Publisher.Saturated != "":
		return "publisher saturated (" + r.Publisher.Saturated + "): this figure measures pushbench's publisher, not the server"
	case d.Lost > 0:
		return fmt.Sprintf("%d messages lost", d.Lost)
	case d.Duplicates > 0:
		return fmt.Sprintf("%d duplicates", d.Duplicates)
	case d.Reorders > 0:
		return fmt.Sprintf("%d reorderings", d.Reorders)
	case d.Unexpected > 0:
		return fmt.Sprintf("%d unexpected messages", d.Unexpected)
	}
	return ""
}
