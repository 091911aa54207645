// Package retrybench measures what package retry costs on the success
// path, against the bare transport it wraps.
package retrybench
