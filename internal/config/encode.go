package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// String returns the effective configuration as markbot.yaml text, which
// Parse reads back to the same values (paths already resolved). Secrets are
// not shown: the token appears only as a comment saying whether it is set.
func (c Config) String() string {
	root := encodeStruct(reflect.ValueOf(c))
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	enc.Close()
	s := b.String()
	if c.GitHub.Token.IsSet() {
		s += "# github token: set from MARKBOT_GITHUB_TOKEN (not shown)\n"
	}
	return s
}

func encodeStruct(v reflect.Value) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	names, index := yamlFields(v.Type())
	for _, name := range names {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name},
			encodeValue(v.Field(index[name])))
	}
	return n
}

func encodeValue(v reflect.Value) *yaml.Node {
	switch {
	case v.Kind() == reflect.Struct:
		return encodeStruct(v)
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		if v.Type().Elem().Kind() == reflect.Struct && v.Len() > 0 {
			n.Style = 0 // a list of mappings reads best one item a block
		}
		for i := range v.Len() {
			n.Content = append(n.Content, encodeValue(v.Index(i)))
		}
		return n
	case v.Type() == durationType:
		return str(FormatDuration(time.Duration(v.Int())))
	case v.Type() == byteSizeType:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case v.Kind() == reflect.String:
		return str(v.String())
	case v.Kind() == reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case v.CanInt():
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case v.Kind() == reflect.Float64:
		// Left untagged: "1" reads back as an integer, which a number
		// field takes.
		return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	}
	panic("config: no encoding for " + v.Type().String())
}

// str is a string scalar, quoted when YAML would read it as anything else.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, "\n\r") {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}
