# markbot-test: op=mark line=18 systems=aarch64-linux want=changed
# meta merged with lib.recursiveUpdate, as overrideAttrs wrappers do with
# oldAttrs.meta: the literal set is merged last, like `a // b`.
{
  lib,
  stdenv,
  terminal-unwrapped,
}:

terminal-unwrapped.overrideAttrs (oldAttrs: {
  pname = "terminal";

  postInstall = ''
    mkdir -p $out/share
  '';

  meta = lib.recursiveUpdate (oldAttrs.meta or { }) {
    description = "Fast, native, feature-rich terminal emulator";
    mainProgram = "terminal";
  };
})
