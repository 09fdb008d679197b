package plots_test

import (
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/plots"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files in testdata/")
	preview = flag.String("preview", "", "TestPreview renders -from's results into this folder, to look at")
	from    = flag.String("from", "", "TestPreview's pushbench output folder (default: testdata's quick run)")
)

func names(ps []plots.Plot) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestRenderSynthetic(t *testing.T) {
	dir := t.TempDir()
	ps, err := plots.Render(dir, synthetic())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"latency-spectrum", "latency-cdf",
		"fanout-p99", "fanout-spectrum",
		"throughput-delivered", "throughput-spectrum",
		"idle-memory", "idle-bytes",
		"payload-bytes", "payload-overhead", "payload-spectrum",
		"burst-spectrum",
		"chat-latency", "chat-spectrum",
	} // no churn: all its records failed
	if got := names(ps); !slices.Equal(got, want) {
		t.Fatalf("plots:\n got %v\nwant %v", got, want)
	}
	for _, p := range ps {
		if p.Title == "" || p.Scenario == "" || !strings.HasPrefix(p.Name, p.Scenario+"-") {
			t.Errorf("%s: incomplete %+v", p.Name, p)
		}
		checkPNG(t, filepath.Join(dir, p.PNG))
		checkSVG(t, filepath.Join(dir, p.SVG))
	}
	// fanout's spectrum shows the last step every transport delivered at.
	if p := ps[slices.Index(want, "fanout-spectrum")]; !strings.Contains(p.Title, "100 clients") {
		t.Errorf("fanout spectrum title %q, want the 100-client step", p.Title)
	}
}

func TestRenderStableOrder(t *testing.T) {
	recs := synthetic()
	first, err := plots.Render(t.TempDir(), recs)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(recs)
	second, err := plots.Render(t.TempDir(), recs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, second) {
		t.Errorf("record order changed the plots:\n%v\n%v", first, second)
	}
}

func TestRenderOnlyErrors(t *testing.T) {
	var recs []results.Record
	for _, r := range synthetic() {
		r.Error = "failed to start the server: boom"
		recs = append(recs, r)
	}
	dir := t.TempDir()
	ps, err := plots.Render(dir, recs)
	if err != nil || len(ps) != 0 {
		t.Fatalf("Render = %v, %v; want no plots", names(ps), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "plots")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plots/ created for no plots: %v", err)
	}
	if ps, err := plots.Render(t.TempDir(), nil); err != nil || len(ps) != 0 {
		t.Fatalf("Render(nil) = %v, %v", names(ps), err)
	}
}

// TestRenderZeros feeds zeros everywhere a log axis would panic on them.
func TestRenderZeros(t *testing.T) {
	var recs []results.Record
	for _, r := range synthetic() {
		if r.LatencyHist != nil {
			zeros := latencyHist(1, 0, 0)
			zeros.RecordValues(0, 10)
			r.LatencyHist = zeros.Export()
		}
		r.Latency = results.Summary{Count: r.Latency.Count}
		r.Wire = results.Wire{}
		r.Server, r.Loadgen = results.Resources{}, results.Resources{}
		r.Delivery.OfferedPerS, r.Delivery.DeliveredPerS = 0, 0
		r.Params.Clients, r.Params.Payload, r.Params.MessageBytes, r.Params.SLOP99Us = 0, 0, 0, 0
		recs = append(recs, r)
	}
	dir := t.TempDir()
	ps, err := plots.Render(dir, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps { // whatever is drawn must still be an image
		checkPNG(t, filepath.Join(dir, p.PNG))
		checkSVG(t, filepath.Join(dir, p.SVG))
	}
	t.Logf("plots drawn from zeros: %v", names(ps))
}

// TestRenderQuickRun renders a real quick-suite run (testdata, gzipped)
// and compares the list of plots with testdata/quick.golden.
func TestRenderQuickRun(t *testing.T) {
	recs := loadGzip(t, "testdata/quick-results.json.gz")
	dir := t.TempDir()
	ps, err := plots.Render(dir, recs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Scenario, p.Title, p.PNG, p.SVG)
		checkPNG(t, filepath.Join(dir, p.PNG))
		checkSVG(t, filepath.Join(dir, p.SVG))
	}
	golden(t, "testdata/quick.golden", b.String())
}

// TestPreview renders real results into a folder to look at (-from is
// relative to this package's folder, where tests run; without it, the
// quick run in testdata):
//
//	go test ./results/plots/ -run TestPreview -preview /tmp/plots-preview -from $PWD/out/bench
func TestPreview(t *testing.T) {
	if *preview == "" {
		t.Skip("no -preview folder")
	}
	var recs []results.Record
	if *from == "" {
		recs = loadGzip(t, "testdata/quick-results.json.gz")
	} else {
		var err error
		if recs, err = results.Load(*from); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := plots.Render(*preview, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Logf("%s: %s", filepath.Join(*preview, p.PNG), p.Title)
	}
}

func loadGzip(t *testing.T, path string) []results.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var file results.File
	if err := json.NewDecoder(z).Decode(&file); err != nil {
		t.Fatal(err)
	}
	return file.Records
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("plots differ from %s (run with -update if intended):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// checkPNG decodes path and checks its size and that it is not blank:
// many colours (antialiased text, several transports) and a fair share of
// pixels that are not white.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	wantW, wantH := int(plots.Width.Dots(plots.DPI)), int(plots.Height.Dots(plots.DPI))
	if b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	colours := map[[4]uint32]bool{}
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				nonWhite++
			}
		}
	}
	if len(colours) < 16 || nonWhite < b.Dx()*b.Dy()/50 {
		t.Errorf("%s looks blank: %d colours, %d of %d pixels not white", path, len(colours), nonWhite, b.Dx()*b.Dy())
	}
}

// checkSVG parses path as XML and checks it holds a drawing's worth of
// elements.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	elements := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not XML: %v", path, err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
	}
	if elements < 40 {
		t.Errorf("%s holds only %d elements", path, elements)
	}
}
