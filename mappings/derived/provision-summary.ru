# Per school, school year and half-year: copies available and needed over all reported
# grades and editions, and the share of need covered. Each record counts at most the copies
# it needs, so a surplus in one grade does not hide a shortage in another.
INSERT {
  GRAPH <graph/textbook-provision> {
    ?summary a emis:ProvisionSummary ;
        emis:school ?school ;
        emis:schoolYear ?schoolYear ;
        emis:halfYear ?half ;
        emis:copiesAvailable ?available ;
        emis:copiesNeeded ?needed ;
        emis:needCovered ?covered .
    ?school emis:provisionSummary ?summary .
  }
}
WHERE {
  {
    SELECT ?school ?schoolYear ?half (SUM(?a) AS ?available) (SUM(?n) AS ?needed)
        (SUM(IF(?a < ?n, ?a, ?n)) AS ?usable)
    WHERE {
      ?record a emis:TextbookProvision ;
          emis:school ?school ; emis:schoolYear ?schoolYear ; emis:halfYear ?half ;
          emis:copiesAvailable ?a ; emis:copiesNeeded ?n .
    }
    GROUP BY ?school ?schoolYear ?half
  }
  ?school emis:schoolCode ?code .
  ?half skos:notation ?halfCode .
  BIND(IF(?needed > 0, xsd:decimal(ROUND(1000 * ?usable / ?needed)) / 1000, 1.0) AS ?covered)
  BIND(IRI(CONCAT("id/provision-summary/", ?code, "-", ?schoolYear, "-h", ?halfCode)) AS ?summary)
}
