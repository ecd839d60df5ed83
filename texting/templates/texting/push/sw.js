{% load static %}// Firm Texting's service worker (C9): shows the Web Push notifications of new texts and
// opens the conversation when one is clicked. It caches nothing: pages come from the server.
// A push carries the contact's name and the conversation's address, never the text.
const FALLBACK_URL = "{% url 'texting:communications' %}";
const ICON = "{% static 'icons/icon-192.png' %}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const options = {
    body: data.body || "",
    icon: ICON,
    badge: ICON,
    data: { url: data.url || FALLBACK_URL },
  };
  if (data.tag) {
    // One notification per conversation: a newer text replaces it and alerts again.
    options.tag = data.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(data.title || "New text message", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const wanted = (event.notification.data && event.notification.data.url) || FALLBACK_URL;
  const url = new URL(wanted, self.location.origin);
  if (url.origin !== self.location.origin) return; // only ever our own pages
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).pathname === url.pathname && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(url.href);
    })(),
  );
});
