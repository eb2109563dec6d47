/** What the pages' scripts read from their page (`<script id="pushpull-config">`), set by pages.ts. */
export interface PageConfig {
  /** The scraper's base URL (SCRAPER_URL), for links to its targets page; empty: no link. */
  scraperUrl: string;
  /** The dashboard shown (dashboard pages only): its name and its file as committed. */
  dashboard?: { name: string; file: unknown };
}
