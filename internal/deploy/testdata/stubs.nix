# Stand-ins for the parts of nixpkgs that flake.nix, nix/package.nix and
# nix/module.nix use, so that their own logic can be evaluated by a bare
# nix-instantiate without nixpkgs (no network here). These are NOT nixpkgs:
# options are returned as declared (no type checking, no merging of
# definitions from several modules, no defaults applied), mkIf/mkMerge are
# evaluated eagerly, and derivations are the attribute sets passed to the
# builders. What they check is the wiring written in this repository.
let
  inherit (builtins)
    attrNames
    foldl'
    isAttrs
    isList
    listToAttrs
    ;

  # mkMerge: nested attribute sets merged, lists concatenated, else the
  # later value wins (the real module system would report a conflict).
  merge2 =
    a: b:
    foldl' (
      acc: n:
      acc
      // {
        ${n} =
          if !(acc ? ${n}) then
            b.${n}
          else if isAttrs acc.${n} && isAttrs b.${n} && !(acc.${n} ? outPath) then
            merge2 acc.${n} b.${n}
          else if isList acc.${n} && isList b.${n} then
            acc.${n} ++ b.${n}
          else
            b.${n};
      }
    ) a (attrNames b);

  lib = rec {
    mkOption = decl: decl;
    mkEnableOption = name: {
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
    mkDefault = v: v;
    mkIf = cond: content: if cond then content else { };
    mkMerge = foldl' merge2 { };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    optional = cond: x: if cond then [ x ] else [ ];
    optionalAttrs = cond: as: if cond then as else { };
    getExe = pkg: "${pkg}/bin/${pkg.meta.mainProgram}";
    genAttrs =
      names: f:
      listToAttrs (
        map (n: {
          name = n;
          value = f n;
        }) names
      );
    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    licenses.mit.spdxId = "MIT";
    platforms.unix = [ "unix" ];
    types = {
      bool = "bool";
      int = "int";
      str = "str";
      package = "package";
      enum = values: { enum = values; };
      nullOr = t: { nullOr = t; };
      submodule = m: { submodule = m; };
    };
    fileset = {
      toSource = args: { fileset = args; };
      unions = list: { unions = list; };
      fileFilter = predicate: path: { fileFilter = { inherit predicate path; }; };
    };
  };

  pkgsFor = system: rec {
    inherit lib;
    stdenv.hostPlatform.system = system;
    go_1_26 = "go_1_26";
    buildGoModule = {
      go = "go (default)";
      __functor = self: args: args // { builtWith = self.go; };
      override = o: buildGoModule // o;
    };
    callPackage =
      fn: args:
      let
        f = if builtins.isFunction fn then fn else import fn;
      in
      f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // args);
    pkgs = pkgsFor system;
    formats.yaml = _: {
      type = "yaml";
      generate = name: value: "/nix/store/00000000000000000000000000000000-${name}";
    };
  };

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [
      "x86_64-linux"
      "aarch64-linux"
      "x86_64-darwin"
      "aarch64-darwin"
    ] pkgsFor;
  };
in
{
  inherit lib nixpkgs;
  pkgs = pkgsFor "x86_64-linux";
  markbot = {
    outPath = "/nix/store/11111111111111111111111111111111-markbot";
    meta.mainProgram = "markbot";
  };
}
