# Evaluates nix/module.nix against the stubs (see stubs.nix) for each
# scenario: `scenarios` is a JSON object mapping a name to the
# services.markbot definitions of that scenario; options left out take the
# defaults the module declares, and package is a stub package.
{ root, scenarios }:
let
  s = import ./stubs.nix;
  module = import (root + "/nix/module.nix");
  call =
    cfg:
    module {
      config.services.markbot = cfg;
      inherit (s) lib pkgs;
    };
  options = (call { }).options.services.markbot;
  defaults = builtins.mapAttrs (_: o: o.default) (
    builtins.removeAttrs options (
      builtins.filter (n: !(options.${n} ? default)) (builtins.attrNames options)
    )
  );
  evalScenario =
    definitions:
    let
      c = (call (defaults // { package = s.markbot; } // definitions)).config;
    in
    {
      assertions = map (a: { inherit (a) assertion message; }) (c.assertions or [ ]);
      services = (c.systemd or { }).services or { };
      timers = (c.systemd or { }).timers or { };
      topLevel = builtins.attrNames c;
    };
in
{
  inherit defaults;
  modes = options.mode.type.enum;
  settingsVersionDefault = options.settings.type.submodule.options.version.default;
  scenarios = builtins.mapAttrs (_: evalScenario) (builtins.fromJSON scenarios);
}
