//! Logout: RP-initiated, and back-channel to the apps.
