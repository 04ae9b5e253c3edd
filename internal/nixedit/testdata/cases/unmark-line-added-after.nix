# markbot-test: op=unmark line=42 want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  pkg-config,
  libsndfile,
  fftw,
  nix-update-script,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "sonic-visualiser-lite";
  version = "5.2.1";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "sonic-visualiser-lite";
    tag = "v${finalAttrs.version}";
    hash = "sha256-qOPb0xVCb4tF+dfvtMku7WjV/LFu/EZIx6AM825EMMk=";
  };

  nativeBuildInputs = [
    cmake
    pkg-config
  ];

  buildInputs = [
    libsndfile
    fftw
  ];

  postPatch = ''
    substituteInPlace CMakeLists.txt \
      --replace-fail 'VERSION 3.5' 'VERSION 3.10'
  '';

  passthru.updateScript = nix-update-script { };

  meta = {
    description = "View and analyse contents of music audio files";
    homepage = "https://github.com/nixpkgs-fixtures/sonic-visualiser-lite";
    license = lib.licenses.gpl2Plus;
    maintainers = with lib.maintainers; [ magnetophon ];
    platforms = lib.platforms.linux;
    mainProgram = "sonic-visualiser";
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = true;
    hydraPlatforms = [ ];
  };
})
