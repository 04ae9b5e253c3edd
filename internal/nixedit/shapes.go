package nixedit

// Locating meta in shapes beyond a literal set: a meta chosen by `if`, one
// merged by lib.recursiveUpdate, one computed otherwise, and builders that
// take meta's fields as direct arguments (Haskell's cabal2nix output).
// Each is marked where the meaning is certain and refused with where a
// human should mark it otherwise; docs/architecture.md ("The marker") lists
// the classes and the nixpkgs files they come from.

import (
	"fmt"
	"strings"
)

// ifBranches returns the then and else branches of an if, through
// else-if chains.
func ifBranches(n *If) []Expr {
	out := []Expr{n.T}
	for {
		next, ok := n.E.(*If)
		if !ok {
			return append(out, n.E)
		}
		out = append(out, next.T)
		n = next
	}
}

// ifMetaBranch returns the branch of `meta = if … then … else …` that
// holds the marker: the only branch written as a meta set (the others pass
// a meta from elsewhere, such as a builder's `meta` argument, as
// pkgs/servers/http/nginx/generic.nix does: `meta = if meta != null then
// meta else with lib; { … }`), when its description is on line. The
// position then proves it is the branch this package's meta comes from:
// nixpkgs takes meta.position from the description of the meta the package
// evaluated to. When several branches are sets, which one a package gets
// depends on the condition (a platform condition would give another system
// another set), and ok is false. sets is how many branches are sets.
func (f *File) ifMetaBranch(n *If, line int) (br Expr, sets int, ok bool) {
	var hit Expr
	for _, b := range ifBranches(n) {
		s := f.metaSet(b, line)
		if s == nil {
			continue
		}
		sets++
		if tok := f.bindingNamed(s, "description"); tok != NoTok && f.Line(int(f.Toks[tok].Off)) == line {
			hit = b
		}
	}
	return hit, sets, sets == 1 && hit != nil
}

// recursiveUpdateArgs returns the two arguments of `lib.recursiveUpdate a
// b` (or `recursiveUpdate a b`, or `lib.attrsets.recursiveUpdate a b`),
// which merges like `a // b` for meta's flat attributes.
func (f *File) recursiveUpdateArgs(e Expr) (Expr, Expr, bool) {
	outer, ok := e.(*Apply)
	if !ok {
		return nil, nil, false
	}
	inner, ok := outer.Fn.(*Apply)
	if !ok {
		return nil, nil, false
	}
	switch name := strings.Join(strings.Fields(f.exprText(inner.Fn)), ""); name {
	case "lib.recursiveUpdate", "recursiveUpdate", "lib.attrsets.recursiveUpdate":
		return inner.Arg, outer.Arg, true
	}
	return nil, nil, false
}

// descriptionInside finds a description binding on line in any set inside
// a meta value markbot does not see through, and says why it is refused.
func (f *File) descriptionInside(e Expr, line int) (int32, string) {
	var tok int32 = NoTok
	f.eachAttrSet(e, func(s *AttrSet) {
		if t := f.bindingNamed(s, "description"); t != NoTok && tok == NoTok && f.Line(int(f.Toks[t].Off)) == line {
			tok = t
		}
	})
	if tok == NoTok {
		return NoTok, ""
	}
	for {
		switch n := e.(type) {
		case *Paren:
			e = n.X
			continue
		case *With:
			e = n.Body
			continue
		case *Let:
			e = n.Body
			continue
		case *If:
			return tok, fmt.Sprintf("meta is chosen by an if (meta = if %s then …) with a meta set in more than one branch: which one a package gets depends on the condition, and markbot does not guess; mark the branch the failing systems get by hand", truncate(f.exprText(n.Cond), 30))
		case *Apply:
			return tok, fmt.Sprintf("meta is computed by a function (meta = %s …): markbot cannot tell whether a broken it adds to the set passed to it reaches the package's meta; mark it by hand", truncate(f.exprText(applyHead(n)), 30))
		}
		return tok, fmt.Sprintf("meta = %s is an expression markbot does not see through to the set it would mark; mark it by hand", truncate(f.exprText(e), 40))
	}
}

// metaIf returns the condition of a meta value that is an if (through
// parentheses, with and let).
func (f *File) metaIf(e Expr) (Expr, bool) {
	for {
		switch n := e.(type) {
		case *Paren:
			e = n.X
		case *With:
			e = n.Body
		case *Let:
			e = n.Body
		case *If:
			return n.Cond, true
		default:
			return nil, false
		}
	}
}

func applyHead(n *Apply) Expr {
	for {
		next, ok := n.Fn.(*Apply)
		if !ok {
			return n.Fn
		}
		n = next
	}
}

// haskellArgs are attributes only Haskell's generic builder
// (pkgs/development/haskell-modules/generic-builder.nix) takes, which
// cabal2nix writes into every derivation it generates.
var haskellArgs = []string{
	"isLibrary", "isExecutable", "libraryHaskellDepends", "executableHaskellDepends",
	"testHaskellDepends", "benchmarkHaskellDepends", "setupHaskellDepends",
	"libraryToolDepends", "executableToolDepends", "testToolDepends", "editedCabalFile",
}

// haskellReason is the refusal for cabal2nix output.
const haskellReason = "this is cabal2nix output: Haskell's mkDerivation (pkgs/development/haskell-modules/generic-builder.nix) " +
	"takes meta's fields (description, license, broken) as direct arguments, and the file is regenerated rather than edited. " +
	"For haskellPackages, mark the package broken in pkgs/development/haskell-modules/configuration-hackage2nix/broken.yaml " +
	"(the Haskell team's maintainers/scripts/haskell/mark-broken.sh does it from Hydra's report and regenerates hackage-packages.nix); " +
	"for a cabal2nix file called elsewhere, apply haskell.lib.compose.markBroken where it is called"

// directFieldsRefusal says why a derivation whose builder takes meta's
// fields as direct arguments is refused, or "" when set is not one: one
// with no meta, pname (or name) and version, and either an argument only
// Haskell's builder takes (cabal2nix output, with or without a
// description) or a `description` of its own.
func (f *File) directFieldsRefusal(set *AttrSet, t *Target) string {
	if t.MetaAttr != nil || len(t.Dotted) > 0 || f.bindingNamed(set, "meta") != NoTok ||
		f.bindingNamed(set, "version") == NoTok ||
		(f.bindingNamed(set, "pname") == NoTok && f.bindingNamed(set, "name") == NoTok) {
		return ""
	}
	for _, a := range haskellArgs {
		if f.bindingNamed(set, a) != NoTok {
			return haskellReason
		}
	}
	if desc := f.bindingNamed(set, "description"); desc != NoTok {
		return fmt.Sprintf("the builder takes meta's fields as direct arguments (description at line %d, no meta): "+
			"where it takes broken, if it does, is its own; mark it by hand", f.Line(int(f.Toks[desc].Off)))
	}
	return ""
}

// haskellHint adds where to mark a Haskell package to the refusal of a
// generated file whose header names hackage2nix or cabal2nix.
func haskellHint(header string) string {
	if strings.Contains(header, "hackage2nix") || strings.Contains(header, "cabal2nix") {
		return "; " + haskellReason
	}
	return ""
}
