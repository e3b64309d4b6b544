"""UI pieces the pages share: charts with downloads, paper lists, the sidebar, the data panel."""
