# markbot-test: op=mark line=50 systems=x86_64-linux,aarch64-linux,x86_64-darwin,aarch64-darwin want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  pkg-config,
  libuv,
  openssl,
  cmake,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "h2o-lite";
  version = "2.3.0-beta2";

  src = fetchFromGitHub {
    owner = "h2o";
    repo = "h2o";
    rev = "v${finalAttrs.version}";
    hash = "sha256-bSpI3LFUtiSZn3hS/USDlkuxhqX8Rk4sSEf3WvuCTnY=";
  };

  outputs = [
    "out"
    "man"
    "dev"
    "lib"
  ];

  nativeBuildInputs = [
    pkg-config
    cmake
  ];

  buildInputs = [
    libuv
    openssl
  ];

  postInstall = ''
    EXES="$(find "$out/share/h2o" -type f -executable)"
    for exe in $EXES; do
      # Skip files that are not scripts
      head -n1 "$exe" | grep -q '^#!' || continue
      patchShebangs "$exe"
    done
  '';

  meta = {
    description = "Optimized HTTP/1.x, HTTP/2, HTTP/3 server";
    homepage = "https://h2o.examp1e.net";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ toastal ];
    mainProgram = "h2o";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
})
