package report

import (
	"github.com/pushbench/pushbench/results"
)

// implID identifies an implementation: records of one name and version
// measured the same server.
type implID struct{ name, version string }

func idOf(im results.Implementation) implID { return implID{im.Name, im.Version} }

// ownName is the name of pushbench's own servers: the implementation of
// records that name none.
var ownName = results.ImplementationOf(results.Record{}).Name

// implName is "nchan 1.3.6", or the name alone when there is no version.
func implName(im results.Implementation) string {
	if im.Version == "" {
		return im.Name
	}
	return im.Name + " " + im.Version
}

// implLabel is how tables name a transport of an implementation: the
// transport alone for pushbench's own servers, "sse (nchan 1.3.6)" for
// another's.
func implLabel(transport string, im results.Implementation) string {
	if im.Name == ownName {
		return transport
	}
	return transport + " (" + implName(im) + ")"
}

// label names the group's transport and, when not pushbench's own, its
// implementation.
func (g *group) label() string { return implLabel(g.key.Transport, g.impl) }

// groupRecords is results.GroupRecords keyed by implementation too:
// records of two servers speaking one transport never share a group.
// Groups come in order of first appearance.
func groupRecords(recs []results.Record) []*results.Group {
	type key struct {
		results.Key
		impl implID
	}
	index := map[key]*results.Group{}
	var out []*results.Group
	for _, r := range recs {
		k := key{results.KeyOf(r), idOf(results.ImplementationOf(r))}
		g := index[k]
		if g == nil {
			g = &results.Group{Key: k.Key}
			index[k] = g
			out = append(out, g)
		}
		g.Records = append(g.Records, r)
	}
	return out
}

// implementations are the implementations recs measured (each as its
// first record names it): pushbench's own first, then the others in order
// of first appearance.
func implementations(recs []results.Record) []results.Implementation {
	seen := map[implID]bool{}
	var own, others []results.Implementation
	for _, r := range recs {
		im := results.ImplementationOf(r)
		if seen[idOf(im)] {
			continue
		}
		seen[idOf(im)] = true
		if im.Name == ownName {
			own = append(own, im)
		} else {
			others = append(others, im)
		}
	}
	return append(own, others...)
}

// ofImplementation is byScenario's groups of one implementation.
func ofImplementation(byScenario map[string][]*group, id implID) claimData {
	out := claimData{}
	for name, groups := range byScenario {
		for _, g := range groups {
			if idOf(g.impl) == id {
				out[name] = append(out[name], g)
			}
		}
	}
	return out
}

// claimsByImplementation judges the claims on one implementation's records
// (pushbench's own when present: results.ImplementationOf), so that no
// claim pools two servers' records of one transport.
func claimsByImplementation(byScenario map[string][]*group, impls []results.Implementation) []Claim {
	if len(impls) < 2 {
		return evaluateClaims(byScenario)
	}
	ref := impls[0]
	claims := evaluateClaims(ofImplementation(byScenario, idOf(ref)))
	for i := range claims {
		claims[i].Evidence = "On " + implName(ref) + "'s records only: " + claims[i].Evidence
	}
	return claims
}

// untrusted: r is disqualified by how it was measured (an error, an
// interruption, counts that do not reconcile, a saturated load generator
// or publisher), not only by what the server delivered (loss, duplicates,
// reorderings, unexpected messages), which is a fanout step's own result.
func untrusted(r results.Record) bool {
	c := r
	c.Delivery.Lost, c.Delivery.Duplicates, c.Delivery.Reorders, c.Delivery.Unexpected = 0, 0, 0, 0
	return c.Disqualified() != ""
}

// anyUntrusted: some repetition of g is untrusted.
func anyUntrusted(g *group) bool {
	for _, r := range g.recs {
		if untrusted(r) {
			return true
		}
	}
	return false
}
