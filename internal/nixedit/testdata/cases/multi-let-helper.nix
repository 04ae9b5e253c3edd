# markbot-test: op=mark line=66 want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  fetchurl,
  cmake,
  pkg-config,
  SDL2,
  libpng,
  zlib,
}:

let
  # game data is packaged separately so the engine can be rebuilt without refetching it
  assets = stdenv.mkDerivation {
    pname = "openmw-lite-assets";
    version = "2024.1";

    src = fetchurl {
      url = "https://downloads.example.org/openmw-lite/assets-2024.1.tar.xz";
      hash = "sha256-dboGUs9RDt0DEo309CqaDsoAW+DbSdFNIki7a1e7MSM=";
    };

    installPhase = ''
      runHook preInstall
      mkdir -p $out/share/openmw-lite
      cp -r data/* $out/share/openmw-lite/
      runHook postInstall
    '';

    meta = {
      description = "Data files for openmw-lite";
      license = lib.licenses.cc-by-sa-40;
      platforms = lib.platforms.all;
    };
  };
in
stdenv.mkDerivation (finalAttrs: {
  pname = "openmw-lite";
  version = "0.9.3";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "openmw-lite";
    rev = "v${finalAttrs.version}";
    hash = "sha256-HhnAS7vWb/C+4veOQ46eom++SZbC9jeLbLoUKPiC8jc=";
  };

  nativeBuildInputs = [
    cmake
    pkg-config
  ];

  buildInputs = [
    SDL2
    libpng
    zlib
  ];

  cmakeFlags = [ "-DDATA_DIR=${assets}/share/openmw-lite" ];

  passthru = { inherit assets; };

  meta = {
    description = "Small engine reimplementation for a classic RPG";
    homepage = "https://github.com/nixpkgs-fixtures/openmw-lite";
    license = lib.licenses.gpl3Plus;
    maintainers = with lib.maintainers; [ marius851000 ];
    platforms = lib.platforms.linux;
    mainProgram = "openmw-lite";
  };
})
