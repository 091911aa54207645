package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
)

// Service is a whole-service config file: each section is the config of
// one package, under the key it documents. A nil section was not
// written.
type Service struct {
	Server   *httpx.ServerConfig `yaml:"server" json:"server,omitempty"`
	TLS      *tlsx.ServerConfig  `yaml:"tls" json:"tls,omitempty"`
	Client   *httpx.ClientConfig `yaml:"client" json:"client,omitempty"`
	Upstream *Upstream           `yaml:"upstream" json:"upstream,omitempty"`
}

// File is a loaded whole-service config: its Service and where each
// value was written.
type File struct {
	// Name is the file's name as given to [Load] or [Parse].
	Name string
	// Service is the decoded content, after environment overrides.
	Service Service

	sources map[string]Source
}

// Source returns where the value at key ("server.timeouts.idle") was
// written, and false when it was not written (it takes its default).
func (f *File) Source(key string) (Source, bool) {
	s, ok := f.sources[key]
	return s, ok
}

// Source is where a value was written: a position in a file, or an
// environment variable.
type Source struct {
	File   string
	Line   int
	Column int
	// Env is the environment variable that set the value; File, Line
	// and Column are then zero.
	Env string
}

func (s Source) String() string {
	switch {
	case s.Env != "":
		return "$" + s.Env
	case s.Line > 0:
		return fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column)
	default:
		return s.File
	}
}

// Error is a problem of a config file at a position: a syntax error, an
// unknown or repeated key, a value of the wrong type, or a problem found
// by a section's Validate. Err is a *[ConfigError] naming the key path
// and rule, so errors.As finds it.
type Error struct {
	Source Source
	Err    error
}

func (e *Error) Error() string {
	if ce, ok := e.Err.(*ConfigError); ok && ce.Field == "" {
		return e.Source.String() + ": " + ce.Rule + ": " + ce.Reason // the position names what is wrong
	}
	return e.Source.String() + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// LintOption configures [Lint].
type LintOption interface{ apply(*options) }

// LoadOption configures [Load] and [Parse], and [Lint], which loads every
// service config it is given. Each function has its own option type, so
// that an option it would ignore does not compile: [WithTLSFiles] is a
// LintOption only.
type LoadOption interface {
	LintOption
	load()
}

type options struct {
	environ  []string
	tlsFiles bool
}

// loadOption is an option of every function, lintOption one of Lint
// only.
type (
	loadOption func(*options)
	lintOption func(*options)
)

func (f loadOption) apply(o *options) { f(o) }
func (loadOption) load()              {}
func (f lintOption) apply(o *options) { f(o) }

// WithEnviron replaces the process environment (os.Environ) as the
// source of overrides; each entry is "NAME=value".
func WithEnviron(environ []string) LoadOption {
	return loadOption(func(o *options) { o.environ = environ })
}

func newOptions[O LintOption](opts []O) options {
	o := options{environ: os.Environ()}
	for _, opt := range opts {
		if any(opt) != nil {
			opt.apply(&o)
		}
	}
	return o
}

// maxFileBytes bounds what Load reads: a service config is a few KiB, and
// a file of a hundred MiB is a mistake or an attack on the decoder.
const maxFileBytes = 4 << 20

// Load reads the whole-service config file at path, applies environment
// overrides and decodes it strictly; see [Parse]. It does not validate the
// sections: [Lint] does, along with the cross-tier rules.
func Load(path string, opts ...LoadOption) (*File, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, opts...)
}

// readFile reads at most maxFileBytes of path.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes, too large for a config file", path, maxFileBytes)
	}
	return data, nil
}

// Parse decodes data, the content of the file name, as a whole-service
// config. Decoding is strict: an unknown key, a key written twice, a value
// of the wrong type, an anchor or alias, or a second YAML document is an
// error. Environment variables override values as the package
// documentation describes. Every problem is returned at once, joined with
// errors.Join, each an *[Error] with its position and key path.
func Parse(name string, data []byte, opts ...LoadOption) (*File, error) {
	return parse(name, data, newOptions(opts))
}

func parse(name string, data []byte, o options) (*File, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	w := &walker{file: name, sources: map[string]Source{}, env: map[string]string{}}
	w.applyEnv(root, o.environ)
	if root.Kind == yaml.MappingNode && len(root.Content) == 0 && len(w.env) == 0 {
		w.fail(Source{File: name}, "", RuleEmpty, "holds no section; write server:, tls:, client: or upstream:")
	}
	w.walk(root, reflect.TypeFor[Service](), "")
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	f := &File{Name: name, sources: w.sources}
	if err := root.Decode(&f.Service); err != nil {
		return nil, &Error{Source: Source{File: name}, Err: &ConfigError{Rule: RuleType, Reason: cleanYAMLError(err)}}
	}
	return f, nil
}

// parseDocument returns the top mapping of the single YAML document in
// data; an empty document is an empty mapping.
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		src := Source{File: name, Line: extra.Line, Column: extra.Column}
		if err != nil {
			return nil, syntaxError(name, err)
		}
		return nil, &Error{Source: src, Err: &ConfigError{Rule: RuleSyntax, Reason: "a second YAML document (---); a service config is one document"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Source: Source{File: name, Line: root.Line, Column: root.Column},
			Err: &ConfigError{Rule: RuleType, Reason: "the file must be a mapping of sections (server:, tls:, client:, upstream:)"}}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// syntaxError turns a YAML parse error into an *Error with its line.
func syntaxError(name string, err error) error {
	msg := err.Error()
	src := Source{File: name}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		src.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return &Error{Source: src, Err: &ConfigError{Rule: RuleSyntax, Reason: strings.TrimPrefix(msg, "yaml: ")}}
}

// cleanYAMLError is err's message without the decoder's prefixes and line
// numbers, which the caller reports in its own form.
func cleanYAMLError(err error) string {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = yamlLine.ReplaceAllString(msg, "")
	return strings.TrimPrefix(msg, "yaml: ")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// ReadDocuments reads the files at paths for [Lint].
func ReadDocuments(paths ...string) ([]Document, error) {
	docs := make([]Document, 0, len(paths))
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, Document{Name: p, Data: data})
	}
	return docs, nil
}
