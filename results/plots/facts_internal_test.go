package plots

import (
	"slices"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
)

// A transport the plots have never heard of, registered with its own
// facts, and a variant of it that leaves its style to its base.
func init() {
	transports.Register(transports.Transport{Name: "fakequic", Push: true, Order: 25, Variants: []string{"tls"},
		Style: transports.Style{Color: "#AA3377", Dashes: []float64{3, 1}, Glyph: "plus"}})
}

// The charts draw a new transport in its own style and order, its
// variant in the base's colour and marker with a dash of its own, and the
// floor (from the facts, here the built-in ones of rawtcp) first and on
// top; an unknown transport without facts gets a spare look, after the
// ranked ones.
func TestChartsDrawByFacts(t *testing.T) {
	var recs []results.Record
	for _, tr := range []string{"sse-lean", "fakequic+tls", "pigeon", "fakequic", "websocket", "rawtcp"} {
		r := latencyRec(tr, 1, histOf(1000, 2000))
		if d, err := transports.Lookup(tr); err == nil {
			r.Facts = d.Facts(100, false)
		}
		recs = append(recs, r)
	}
	d, err := newDataset(recs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.transports("latency"), []string{"rawtcp", "websocket", "fakequic", "fakequic+tls", "sse-lean", "pigeon"}; !slices.Equal(got, want) {
		t.Errorf("chart order %v, want %v", got, want)
	}
	q, v := d.drawn("fakequic"), d.drawn("fakequic+tls")
	if q.look.color != rgb(0xAA3377) || q.look.glyph != (draw.PlusGlyph{}) || !slices.Equal(q.look.dashes, []vg.Length{3, 1}) || q.look.width != vg.Points(2) || q.floor {
		t.Errorf("fakequic drawn %+v, want its own style", q)
	}
	if v.look.color != q.look.color || v.look.glyph != q.look.glyph || len(v.look.dashes) == 0 || slices.Equal(v.look.dashes, q.look.dashes) {
		t.Errorf("fakequic+tls drawn %+v, want fakequic's colour and marker with a dash of its own", v)
	}
	if f := d.drawn("rawtcp"); !f.floor || f.look.color != rgb(0) || f.look.width != vg.Points(2.2) {
		t.Errorf("rawtcp drawn %+v, want the black floor", f)
	}
	if p, spare := d.drawn("pigeon"), lookOf("pigeon", results.Style{}); p.floor || p.look.color != spare.color || !slices.Equal(p.look.dashes, spare.dashes) {
		t.Errorf("pigeon drawn %+v, want a spare look", p)
	}
	var ls layers
	ls.add(d.drawn("fakequic"), nil)
	ls.add(d.drawn("rawtcp"), nil, nil)
	if len(ls.floor) != 2 || len(ls.others) != 1 {
		t.Errorf("layers: %d floor, %d others; want the floor's 2 on top", len(ls.floor), len(ls.others))
	}
}
