package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// helpCommands returns the commands `harden --help` lists.
func helpCommands(t *testing.T) []string {
	t.Helper()
	_, out, _ := runCLI("--help")
	_, list, ok := strings.Cut(out, "\nCommands:\n")
	if !ok {
		t.Fatalf("--help has no Commands section:\n%s", out)
	}
	var cmds []string
	for _, line := range strings.Split(list, "\n") {
		if line == "" {
			break
		}
		if m := regexp.MustCompile(`^  ([a-z][a-z-]*)  `).FindStringSubmatch(line); m != nil {
			cmds = append(cmds, m[1])
		}
	}
	if len(cmds) == 0 {
		t.Fatalf("--help lists no command:\n%s", out)
	}
	return cmds
}

// commandMention finds a harden command named as one: in backquotes
// (`harden <command>`), after go run ./cmd/harden, or at the start of a
// line of a code block (indented in a doc comment, fenced in Markdown).
var commandMention = regexp.MustCompile("(?m)(?:`harden|\\./cmd/harden|^(?:\\t| {4})[\\t ]*(?:\\$ )?harden) ([a-z][a-z-]+)")

// indentFences indents the lines of the fenced code blocks of a Markdown
// text, so that commandMention reads them as code.
func indentFences(md string) string {
	lines := strings.Split(md, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			in = !in
			continue
		}
		if in {
			lines[i] = "\t" + l
		}
	}
	return strings.Join(lines, "\n")
}

// TestDocsNameOnlyCommandsThatExist fails when a comment of a .go file or
// README.md names a harden command that `harden --help` does not list.
func TestDocsNameOnlyCommandsThatExist(t *testing.T) {
	cmds := helpCommands(t)
	root := filepath.Join("..", "..")
	check := func(where, text string) {
		for _, m := range commandMention.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(cmds, m[1]) {
				t.Errorf("%s names `harden %s`, which harden --help does not list (it lists %v)", where, m[1], cmds)
			}
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	check("README.md", indentFences(string(readme)))
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files++
		for _, cg := range f.Comments {
			check(path, cg.Text())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read the comments of %d .go files; the walk missed the module", files)
	}
	// The pattern itself finds a command where docs name one.
	text := "run `harden lint FILE`, or\n\tharden explain x\n\tgo run ./cmd/harden doctor\nso that\nharden does not"
	text += indentFences("\n```\n$ harden serve\n```\nharden is")
	var found []string
	for _, m := range commandMention.FindAllStringSubmatch(text, -1) {
		found = append(found, m[1])
	}
	if want := []string{"lint", "explain", "doctor", "serve"}; !slices.Equal(found, want) {
		t.Errorf("commandMention found %v, want %v", found, want)
	}
}
