// A fingerprinted asset: its name changes whenever its bytes do, so it may be cached forever.
document.documentElement.dataset.loadedAt = new Date().toISOString();
