// hydra.nixos.org's front end, step 1: iocaine. This file models what the
// front end (NixOS/infra build/hydra-proxy.nix) answers before a request
// reaches Hydra: the robots file nginx serves itself, and iocaine's decoy
// for the user agents hydra-proxy.nix lists as unwanted visitors — a page
// of generated prose full of links to made-up paths, status 200, HTML, in
// place of the page asked for.
package hydratest

import (
	"bufio"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
)

// RobotsTxt is hydra-proxy.nix's robots file ("Ask robots not to scrape
// hydra, it has various expensive endpoints"), served by nginx at
// /robots.txt.
const RobotsTxt = "User-agent: *\nDisallow: /\nAllow: /$\n"

// agentRange is hydra-proxy.nix's genAgentRange: agent + sep + n + trailer
// for n from..to.
func agentRange(agent string, from, to int, sep, trailer string) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, agent+sep+strconv.Itoa(n)+trailer)
	}
	return out
}

// UnwantedAgents returns the unwanted-visitors patterns of hydra-proxy.nix:
// broad browser version ranges (Firefox 140, an ESR, is spared) and agents
// without contact information, Go's default among them.
func UnwantedAgents() []string {
	var p []string
	p = append(p, agentRange("Android", 2, 12, " ", ".")...)
	p = append(p, agentRange("Chrome", 1, 148, "/", ".")...)
	p = append(p, agentRange("CriOS", 1, 142, "/", ".")...)
	p = append(p, agentRange("Firefox", 1, 139, "/", ".")...)
	p = append(p, agentRange("Firefox", 141, 150, "/", ".")...)
	p = append(p, agentRange("FxiOS", 1, 150, "/", ".")...)
	p = append(p, agentRange("iPhone OS", 1, 14, " ", "_")...)
	p = append(p, agentRange("Windows NT", 4, 7, " ", "")...)
	p = append(p, agentRange("Mac OS X 10.", 5, 14, "", "")...)
	p = append(p, agentRange("Mac OS X 10_", 5, 14, "", "")...)
	p = append(p, agentRange("Mac OS X", 11, 14, " ", "")...)
	return append(p, "iPod;", "Presto/", "Trident/", "Windows CE", "efx-scanner/3.0", "Go-http-client/1.1")
}

// unwanted reports whether iocaine takes ua for an unwanted visitor: no
// User-Agent at all, or one containing any of the patterns (iocaine matches
// them as substrings).
func unwanted(ua string, patterns []string) bool {
	if strings.TrimSpace(ua) == "" {
		return true
	}
	for _, p := range patterns {
		if strings.Contains(ua, p) {
			return true
		}
	}
	return false
}

// decoyWords feed the decoy's prose and its made-up paths (iocaine draws
// on a training corpus and a word list; the fake on these).
var decoyWords = strings.Fields(`the a of and to in that it was for on with as his he at by from they
this had not but what all were when we there can an your which their said if do will each about how
up out them then she many some so these would other into has more her two like him see time could no
make than first been its who now people my made over did down only way find use may water long little
very after words called just where most know get through back much before go good new write our used
me man too any day same right look think also around another came come work three word must because
does part even place well such here take why things help put years different away again off went old
number great tell men say small every found still between name should home big give air line set own
under read last never us left end along while might next sound below saw something thought both few
those always looked show large often together asked house world going want school important until form
food keep children feet land side without boy once animals life enough took sometimes four head above
kind began almost live page got earth need far hand high year mother light parts country father let night
following picture being study second eyes soon times story boys since white days ever paper hard near
sentence better best across during today others however sure means knew its try told young miles sun
ways thing whole hear example heard several change answer room sea against top turned learn point city
play toward five using himself usually`)

// writeDecoy writes iocaine's answer for path: a page of prose with links
// to made-up paths, the same for the same path.
func writeDecoy(w http.ResponseWriter, path string) {
	h := fnv.New64a()
	h.Write([]byte(path))
	x := h.Sum64() | 1
	next := func(n int) int {
		// xorshift64*
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		return int((x * 2685821657736338717) >> 33 % uint64(n))
	}
	word := func() string { return decoyWords[next(len(decoyWords))] }
	link := func() string {
		p := "/" + word()
		for i := 0; i < 1+next(3); i++ {
			p += "/" + word() + "-" + word()
		}
		return p
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 8<<10)
	t := word()
	t = strings.ToUpper(t[:1]) + t[1:]
	for i := 0; i < 3+next(3); i++ {
		t += " " + word()
	}
	bw.WriteString("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" + t + "</title></head>\n<body>\n<h1>" + t + "</h1>\n")
	for p := 0; p < 4+next(5); p++ {
		bw.WriteString("<p>")
		n := 40 + next(60)
		for i := 0; i < n; i++ {
			if i > 0 {
				bw.WriteByte(' ')
			}
			if next(11) == 0 {
				bw.WriteString(`<a href="` + link() + `">` + word() + " " + word() + "</a>")
				continue
			}
			bw.WriteString(word())
		}
		bw.WriteString(".</p>\n")
	}
	bw.WriteString("<ul>\n")
	for i := 0; i < 8+next(8); i++ {
		bw.WriteString(`<li><a href="` + link() + `">` + word() + " " + word() + " " + word() + "</a></li>\n")
	}
	bw.WriteString("</ul>\n</body>\n</html>\n")
	bw.Flush()
}
