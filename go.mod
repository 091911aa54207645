module github.com/harden-go/harden

go 1.25.0
