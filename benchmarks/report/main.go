// Command report draws the chart of BENCHMARKS.md: the throughput of
// every variant as a multiple of raw net/http's, one group of bars per
// protocol, as SVG. `harden bench` (package benchmarks/loadbench) runs it
// with the medians it measured; it is a module of its own so that the
// plotting library never enters harden's go.mod.
//
//	go run . -in ratios.json -out ../ratios.svg
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Input is the JSON the command reads.
type Input struct {
	Title  string  `json:"title"`
	Groups []Group `json:"groups"`
}

// Group is the bars of one protocol.
type Group struct {
	Name string `json:"name"`
	Bars []Bar  `json:"bars"`
}

// Bar is one variant's throughput as a multiple of raw's.
type Bar struct {
	Label string  `json:"label"`
	Ratio float64 `json:"ratio"`
}

func main() {
	in := flag.String("in", "", "JSON input")
	out := flag.String("out", "ratios.svg", "SVG output")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var data Input
	if err := json.Unmarshal(b, &data); err != nil {
		return err
	}
	p, height := Chart(data)
	return p.Save(7*vg.Inch, height, out)
}

// palette colours the groups.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// Chart lays out one horizontal bar per variant, groups one after the
// other from the top, with a dashed line at 1.0 (raw), and returns the
// plot and the height it needs.
func Chart(in Input) (*plot.Plot, vg.Length) {
	p := plot.New()
	p.Title.Text = in.Title
	p.X.Label.Text = "× raw net/http"
	p.X.Min = 0
	p.Legend.Top = true

	total := 0
	for _, g := range in.Groups {
		total += len(g.Bars)
	}
	pos := total + len(in.Groups) - 1 // from the top, a gap between groups
	maxRatio := 1.0
	for i, g := range in.Groups {
		vals := make(plotter.Values, 0, len(g.Bars))
		offsets := make([]float64, 0, len(g.Bars))
		for _, bar := range g.Bars {
			vals = append(vals, bar.Ratio)
			offsets = append(offsets, float64(pos))
			pos--
			maxRatio = max(maxRatio, bar.Ratio)
		}
		pos--
		for j := range g.Bars {
			bars, err := plotter.NewBarChart(plotter.Values{vals[j]}, vg.Points(9))
			if err != nil {
				continue
			}
			bars.Horizontal = true
			bars.XMin = offsets[j]
			bars.Color = palette[i%len(palette)]
			bars.LineStyle.Width = 0
			if j == 0 {
				p.Legend.Add(g.Name, bars)
			}
			p.Add(bars)
		}
	}
	// Tick labels: one per bar, at its position.
	labels := make(map[float64]string)
	pos = total + len(in.Groups) - 1
	for _, g := range in.Groups {
		for _, bar := range g.Bars {
			labels[float64(pos)] = fmt.Sprintf("%s  %.2f", bar.Label, bar.Ratio)
			pos--
		}
		pos--
	}
	p.Y.Tick.Marker = labelTicks(labels)
	p.Y.Min, p.Y.Max = -0.7, float64(total+len(in.Groups)-1)+0.7
	p.X.Max = maxRatio * 1.3 // room for the legend on the right

	raw, err := plotter.NewLine(plotter.XYs{{X: 1, Y: p.Y.Min}, {X: 1, Y: p.Y.Max}})
	if err == nil {
		raw.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		raw.LineStyle.Color = color.Gray{Y: 0x60}
		p.Add(raw)
	}
	p.Add(plotter.NewGrid())
	return p, vg.Points(float64(40+18*(total+len(in.Groups)))) + vg.Inch
}

// labelTicks puts a label at each bar's position on the Y axis.
type labelTicks map[float64]string

func (l labelTicks) Ticks(min, max float64) []plot.Tick {
	ticks := make([]plot.Tick, 0, len(l))
	for v, s := range l {
		if v >= min && v <= max {
			ticks = append(ticks, plot.Tick{Value: v, Label: s})
		}
	}
	return ticks
}
