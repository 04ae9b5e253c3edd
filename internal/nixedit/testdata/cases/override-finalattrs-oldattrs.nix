# markbot-test: op=mark line=30 systems=aarch64-linux want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  mpv-unwrapped,
  libplacebo,
}:

mpv-unwrapped.overrideAttrs (
  finalAttrs: oldAttrs: {
    pname = "mpv-unwrapped-git";
    version = "0.40.0-unstable-2025-07-01";

    src = fetchFromGitHub {
      owner = "mpv-player";
      repo = "mpv";
      rev = "0b63a8e0c1f9a0b51d4a6e2e1c0d1a2b3c4d5e6f";
      hash = "sha256-2LvuP4XhVsUPMwGhEwrE3kvIEAM1cg++GjIHZxjqgPg=";
    };

    buildInputs = oldAttrs.buildInputs ++ [ libplacebo ];

    postPatch = (oldAttrs.postPatch or "") + ''
      substituteInPlace meson.build \
        --replace-fail "version: files('VERSION')" "version: '${finalAttrs.version}'"
    '';

    meta = oldAttrs.meta // {
      description = "General-purpose media player, fork of MPlayer and mplayer2 (git snapshot)";
      maintainers = with lib.maintainers; [ ];
    };
  }
)
