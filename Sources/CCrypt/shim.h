// libxcrypt (Debian libcrypt-dev): bcrypt password hashing for PasswordAuthenticator.
#include <crypt.h>
