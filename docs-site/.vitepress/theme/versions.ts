// The version information the site configuration puts in themeConfig.sinew.
import { useData } from "vitepress";
import { computed } from "vue";

export interface SiteVersion {
  version: string;
  link: string;
}

export interface VersionInfo {
  version: string;
  rootBase: string;
  versions: SiteVersion[];
}

export function useVersions() {
  const { theme } = useData();
  return computed(() => theme.value.sinew as VersionInfo);
}
