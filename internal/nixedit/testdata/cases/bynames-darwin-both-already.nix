# markbot-test: op=mark line=44 systems=x86_64-darwin,aarch64-darwin want=already-broken
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  pkg-config,
  libusb1,
  udevCheckHook,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "rtl-sdr-mini";
  version = "2.0.2";

  src = fetchFromGitHub {
    owner = "osmocom";
    repo = "rtl-sdr";
    tag = "v${finalAttrs.version}";
    hash = "sha256-3dLALNO6Q/Dqno/Zj0fZgMt148estSYqtmDBgazw+7s=";
  };

  nativeBuildInputs = [
    pkg-config
    cmake
    udevCheckHook
  ];

  propagatedBuildInputs = [ libusb1 ];

  cmakeFlags = [
    (lib.cmakeBool "INSTALL_UDEV_RULES" stdenv.hostPlatform.isLinux)
    (lib.cmakeFeature "WITH_RPC" "ON")
  ];

  postPatch = ''
    substituteInPlace CMakeLists.txt \
      --replace-fail '/etc/udev/rules.d' "$out/etc/udev/rules.d"
  '';

  doInstallCheck = true;

  meta = {
    description = "Software to turn the RTL2832U into a SDR receiver";
    homepage = "https://osmocom.org/projects/rtl-sdr/wiki";
    license = lib.licenses.gpl2Plus;
    maintainers = with lib.maintainers; [ bjornfor ];
    platforms = lib.platforms.unix;
    mainProgram = "rtl_sdr";
    broken = stdenv.hostPlatform.isDarwin;
  };
})
