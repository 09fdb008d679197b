package results

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteSummary prints one line per record: the numbers a reader checks
// first, loss and errors included.
func WriteSummary(w io.Writer, recs []Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tstep\ttransport\tclients\trate\tdelivered\tlost\tdups\tp50\tp99\tmax\tmsg/s\tB/msg\tsrv µs/msg\terror\t")
	for _, r := range recs {
		errText := r.Error
		if len(errText) > 60 {
			errText = errText[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d/%d\t%d\t%d\t%s\t%s\t%s\t%.0f\t%.0f\t%.2f\t%s\t\n",
			r.Scenario, step(r), r.Transport, r.Params.Clients, strconv.FormatFloat(r.Params.Rate, 'g', -1, 64),
			r.Delivery.Delivered, r.Delivery.Expected, r.Delivery.Lost, r.Delivery.Duplicates,
			dur(r.Latency.P50), dur(r.Latency.P99), dur(r.Latency.Max), r.Delivery.DeliveredPerS,
			r.Wire.BytesPerMessage, r.Server.CPUPerMessageUs, errText)
	}
	return tw.Flush()
}

func step(r Record) string {
	if r.StepParam == "" {
		return "-"
	}
	return fmt.Sprintf("%s=%g", r.StepParam, r.StepValue)
}

func dur(us int64) string {
	if us == 0 {
		return "-"
	}
	return (time.Duration(us) * time.Microsecond).Round(10 * time.Microsecond).String()
}
