# Per school, fiscal year and period: income from the budget and from extra-budgetary
# sources, and expenditure, as actual amounts (and planned expenditure), in KGS.
# Lines in another currency are left out of the sums (and the demo has none).
INSERT {
  GRAPH <graph/finance> {
    ?summary a emis:FinanceSummary ;
        emis:school ?school ;
        emis:fiscalYear ?year ;
        emis:period ?period ;
        emis:incomeBudget ?incomeBudget ;
        emis:incomeExtraBudgetary ?incomeExtra ;
        emis:expenditure ?spent ;
        emis:plannedExpenditure ?planned ;
        emis:currency <def/concept/currency/KGS> .
    ?school emis:financeSummary ?summary .
  }
}
WHERE {
  {
    SELECT ?school ?year ?period
        (SUM(IF(?direction = <def/concept/finance-direction/income> && ?group = <def/concept/funding-source/budget>, ?actual, 0)) AS ?incomeBudget)
        (SUM(IF(?direction = <def/concept/finance-direction/income> && ?group = <def/concept/funding-source/extra-budgetary>, ?actual, 0)) AS ?incomeExtra)
        (SUM(IF(?direction = <def/concept/finance-direction/expenditure>, ?actual, 0)) AS ?spent)
        (SUM(IF(?direction = <def/concept/finance-direction/expenditure>, ?plan, 0)) AS ?planned)
    WHERE {
      ?line a emis:FinanceLine ;
          emis:school ?school ; emis:fiscalYear ?year ; emis:period ?period ;
          emis:direction ?direction ; emis:fundingSource/skos:broader ?group ;
          emis:currency <def/concept/currency/KGS> .
      OPTIONAL { ?line emis:actualAmount ?a }
      OPTIONAL { ?line emis:plannedAmount ?p }
      BIND(COALESCE(?a, 0.0) AS ?actual)
      BIND(COALESCE(?p, 0.0) AS ?plan)
    }
    GROUP BY ?school ?year ?period
  }
  ?school emis:schoolCode ?code .
  ?period skos:notation ?periodCode .
  BIND(IRI(CONCAT("id/finance-summary/", ?code, "-", STR(?year), "-", ?periodCode)) AS ?summary)
}
