// SystemProbe
