// The default VitePress theme plus a version picker in the navigation bar and, on a frozen version, a
// banner saying which version the reader is looking at.
import DefaultTheme from "vitepress/theme";
import { h } from "vue";
import type { Theme } from "vitepress";
import VersionPicker from "./VersionPicker.vue";
import VersionBanner from "./VersionBanner.vue";
import "./custom.css";

export default {
  extends: DefaultTheme,
  Layout: () =>
    h(DefaultTheme.Layout, null, {
      "layout-top": () => h(VersionBanner),
      "nav-bar-content-after": () => h(VersionPicker),
      "nav-screen-content-after": () => h(VersionPicker, { screen: true }),
    }),
} satisfies Theme;
