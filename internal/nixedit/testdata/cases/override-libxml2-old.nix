# markbot-test: op=mark line=26 want=changed
{
  lib,
  fetchurl,
  libxml2,
}:

# Pinned for the few consumers that still need the 2.13 ABI.
libxml2.overrideAttrs (old: rec {
  pname = "libxml2_2_13";
  version = "2.13.8";

  src = fetchurl {
    url = "mirror://gnome/sources/libxml2/${lib.versions.majorMinor version}/libxml2-${version}.tar.xz";
    hash = "sha256-tdy2kmzuVNd8EBeJg0ieb9ed80fwR4hzMfHzpPWCrZ8=";
  };

  patches = [ ];

  postPatch = (old.postPatch or "") + ''
    # the 2.13 test suite expects a writable HOME
    export HOME="$TMPDIR"
  '';

  meta = old.meta // {
    description = "XML parsing library for C (2.13 branch)";
    knownVulnerabilities = (old.meta.knownVulnerabilities or [ ]) ++ [
      "CVE-2025-6021"
    ];
  };
})
