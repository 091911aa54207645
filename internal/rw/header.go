package rw

import "net/http"

// CloneHeader returns a copy of h, as [http.Header.Clone] does, in one
// pass over h instead of two: a copy per request of the few headers set
// before a handler runs costs a handler timeout more than its timer
// otherwise. The values are copied into buf while it has room, so that a
// caller can keep them in an allocation of its own; each value slice is
// capped at its length, so that an append to one never writes into
// another's. A nil h gives an empty map.
func CloneHeader(h http.Header, buf []string) http.Header {
	c := make(http.Header, len(h))
	sv := buf[:0]
	if sv == nil {
		// Room for one value per name, the usual case; more grow sv,
		// and the slices already cut from it keep the old array.
		sv = make([]string, 0, len(h))
	}
	for k, vv := range h {
		if vv == nil {
			c[k] = nil
			continue
		}
		n := len(sv)
		sv = append(sv, vv...)
		c[k] = sv[n:len(sv):len(sv)]
	}
	return c
}
