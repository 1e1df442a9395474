// The map of a school's (or a district's, a region's) page: Leaflet, shipped with the app in
// static/vendor/leaflet. The points come from the page itself (<script id="map-data">). No tile
// layer unless the deployment names a tile server (setting map_tiles): the page asks no other
// host by default, and the coordinates are printed under the map as text.
"use strict";
(function () {
  var element = document.getElementById("map");
  var source = document.getElementById("map-data");
  if (!element || !source || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);
  var places = data.places || [];
  if (!places.length) return;
  var map = L.map(element, { attributionControl: Boolean(data.tiles), zoomSnap: 0.5 });
  if (data.tiles) {
    L.tileLayer(data.tiles, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var markers = places.map(function (p) {
    var marker = L.marker([p.lat, p.long], { title: p.name, alt: p.name }).addTo(map);
    var label = document.createElement(p.href ? "a" : "span");
    label.textContent = p.name;
    if (p.href) label.href = p.href;
    marker.bindPopup(label);
    return marker;
  });
  if (markers.length === 1) {
    map.setView(markers[0].getLatLng(), 13);
  } else {
    map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [20, 20], maxZoom: 13 });
  }
  L.control.scale({ imperial: false }).addTo(map);
  // the icons exist once the map has a view: mark them with their coordinates (for tests, tools)
  markers.forEach(function (marker) {
    var icon = marker.getElement(), at = marker.getLatLng();
    if (icon) { icon.dataset.lat = String(at.lat); icon.dataset.long = String(at.lng); }
  });
  element.dataset.ready = String(markers.length);
})();
